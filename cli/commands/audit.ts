import { Command } from 'commander';
import { AUDIT_RUNGS, DEFAULT_AUDIT } from '../../core/audit/settings.js';

/** `rsn audit`: its flags; the attack code is loaded when it runs. */
export function auditCommand(): Command {
  const b = DEFAULT_AUDIT.budget;
  return new Command('audit')
    .description('attack every saved round with a ladder of strong attacks (PGD with restarts, APGD, Square, transfer) and check for gradient masking (docs/audit.md)')
    .argument('<results_dir>', 'results directory (the --base_dir of rsn train / rsn bench, or any folder below it)')
    .option('--attacks <list>', `rungs, comma-separated, or 'all': ${AUDIT_RUNGS.join(', ')}`, 'all')
    .option('--rounds <list>', "pruning rounds to audit, comma-separated (e.g. 0,3,8: 100, 51.3 and 16.9% of dense-300-100's weights), or 'all'", 'all')
    .option('--images <n>', "test images attacked: 'all' of the run's test set, or this many drawn from --seed", 'all')
    .option('--seed <n>', "seed of the audit's own draws (restarts, Square Attack, image subsets)", String(DEFAULT_AUDIT.seed))
    .option('--sweep <list>', "eps values of the APGD-CE sweep, comma-separated, or 'none'", DEFAULT_AUDIT.sweep.join(','))
    .option('--sweep_images <n>', 'images of the eps sweep (the first of the audited ones)', String(DEFAULT_AUDIT.sweepImages))
    .option('--pgd_iterations <n>', 'PGD-CE and PGD-DLR iterations', String(b.pgdIterations))
    .option('--pgd_restarts <n>', 'PGD-CE random restarts', String(b.pgdRestarts))
    .option('--apgd_iterations <n>', 'APGD-CE and APGD-T iterations (and the sweep\'s)', String(b.apgdIterations))
    .option('--targets <n>', 'APGD-T: the most likely wrong classes attacked, one run each', String(b.targets))
    .option('--square_queries <n>', 'Square Attack queries per image', String(b.squareQueries))
    .option('--transfer_iterations <n>', 'PGD-CE iterations on the dense round 0 for the transfer rung', String(b.transferIterations))
    .option('--backend <name>', "compute backend (default: the backend the runs were trained on, so the run's own attack is replayed bit for bit)")
    .option('--out <dir>', 'where audit.csv, audit-findings.md and the figure go (default: <results_dir>/report)')
    .action(async (resultsDir: string, options: Record<string, string>) => (await import('../actions/audit.js')).audit(resultsDir, options));
}
