import { Option, type Command } from 'commander';
import { CONFIG_FIELDS, DEFAULT_CONFIG, rejectIgnoredSettings, type ExperimentConfig, type FieldDef, validateConfig } from '../core/experiment/config.js';
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

/**
 * Add one flag per configuration field, with its help text and default (the original's names). A field for which
 * `otherDefault` says something (rsn bench: the presets' values) shows that instead of a default.
 */
export function addConfigOptions(
  command: Command, defaults: Partial<ExperimentConfig> = {}, exclude: ReadonlySet<string> = new Set(),
  otherDefault: (key: keyof ExperimentConfig) => string | undefined = () => undefined,
): Command {
  for (const field of CONFIG_FIELDS) {
    if (exclude.has(field.key)) continue;
    const value = defaults[field.key] ?? DEFAULT_CONFIG[field.key];
    const flags = field.kind === 'bool' ? `--${field.key}` : `--${field.key} <${field.kind === 'choice' ? 'name' : 'value'}>`;
    const instead = otherDefault(field.key);
    // Where another default is shown, the field's own help must not name its usual one ("'logits' (default)").
    const text = instead === undefined ? field.help : field.help.replace(/ \(default\)/g, '');
    const help = `${text}${field.short ? ` (also -${field.short})` : ''}${instead ? ` (default: ${instead})` : ''}`;
    const option = new Option(flags, help);
    if (field.kind === 'choice') option.choices(field.choices!);
    if (field.kind !== 'bool') option.argParser(parser(field));
    if (field.kind !== 'bool' && instead === undefined) option.default(value);
    command.addOption(option);
  }
  return command;
}

/**
 * The validated configuration from parsed flags (commander camel-cases nothing here: the flags use underscores).
 * `given`: the flags given explicitly, refused when the strategy ignores them (config.ts, rejectIgnoredSettings).
 */
export function configFromOptions(options: Record<string, unknown>, defaults: Partial<ExperimentConfig> = {}, given: ReadonlySet<string> = new Set()): ExperimentConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG, ...defaults };
  for (const field of CONFIG_FIELDS) {
    const value = options[field.key];
    if (value !== undefined) config[field.key] = value;
  }
  config.adv_train = Boolean(options.adv_train ?? config.adv_train);
  const validated = validateConfig(config as unknown as ExperimentConfig);
  rejectIgnoredSettings(validated, given);
  return validated;
}

/** The configuration flags given on the command line (not defaults). */
export const flagsGiven = (command: Command): Set<string> =>
  new Set(CONFIG_FIELDS.map((f) => f.key).filter((key) => command.getOptionValueSource(key) === 'cli'));

/**
 * A flag's whole number as a number when it is written in digits only; anything else ('', 'abc', '0x2', '1e1',
 * '-1') is passed on as given, for the check of its range to refuse it by the text the user wrote.
 */
export const digitsOrAsGiven = (value: string): number | string => (/^[0-9]+$/.test(value) ? Number(value) : value);

/** A flag that takes a whole number of at least `min`, refused with the value as given. */
export function wholeNumberFlag(flag: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${flag} takes a whole number >= ${min}; got '${String(value)}'`);
  }
  return value;
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
