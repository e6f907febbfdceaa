import { Option, type Command } from 'commander';
import { CONFIG_FIELDS, DEFAULT_CONFIG, type ExperimentConfig, type FieldDef, validateConfig } from '../core/experiment/config.js';
import { ConfigError } from '../core/errors.js';

/** Flags of rsn train that rsn bench's suite sets per job (so they are not flags of rsn bench). */
export const SUITE_KEYS: ReadonlySet<string> = new Set(['dataset', 'attack', 'adv_train', 'experiment']);

function parser(field: FieldDef): (value: string) => unknown {
  const flag = `--${field.key}`;
  if (field.kind === 'int') {
    return (v) => {
      if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${flag} takes a whole number; got '${v}'`);
      return Number(v);
    };
  }
  if (field.kind === 'float') {
    return (v) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${flag} takes a number; got '${v}'`);
      return n;
    };
  }
  return (v) => v;
}

/** Add one flag per configuration field, with its help text and default (the original's names). */
export function addConfigOptions(command: Command, defaults: Partial<ExperimentConfig> = {}, exclude: ReadonlySet<string> = new Set()): Command {
  for (const field of CONFIG_FIELDS) {
    if (exclude.has(field.key)) continue;
    const value = defaults[field.key] ?? DEFAULT_CONFIG[field.key];
    const flags = field.kind === 'bool' ? `--${field.key}` : `--${field.key} <${field.kind === 'choice' ? 'name' : 'value'}>`;
    const option = new Option(flags, field.short ? `${field.help} (also -${field.short})` : field.help);
    if (field.kind === 'choice') option.choices(field.choices!);
    if (field.kind !== 'bool') option.argParser(parser(field)).default(value);
    command.addOption(option);
  }
  return command;
}

/** The validated configuration from parsed flags (commander camel-cases nothing here: the flags use underscores). */
export function configFromOptions(options: Record<string, unknown>, defaults: Partial<ExperimentConfig> = {}): ExperimentConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG, ...defaults };
  for (const field of CONFIG_FIELDS) {
    const value = options[field.key];
    if (value !== undefined) config[field.key] = value;
  }
  config.adv_train = Boolean(options.adv_train ?? config.adv_train);
  return validateConfig(config as unknown as ExperimentConfig);
}

/**
 * The original command line spelled two flags with multi-letter single dashes (-lr, -l1), which commander
 * does not accept as short options: rewrite them to their long forms before parsing.
 */
export function expandLegacyShortFlags(argv: readonly string[]): string[] {
  const aliases = new Map(CONFIG_FIELDS.filter((f) => f.short).map((f) => [`-${f.short}`, `--${f.key}`]));
  return argv.map((arg) => {
    const [name, ...rest] = arg.split('=');
    const long = aliases.get(name!);
    return long ? [long, ...rest].join('=') : arg;
  });
}
