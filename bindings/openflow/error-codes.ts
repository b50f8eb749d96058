/** Names of every OpenFlow 1.3 error type (OFPET_*) and code, as in the specification. */

const TYPES: readonly (readonly [string, string, readonly string[]])[] = [
  ['OFPET_HELLO_FAILED', 'OFPHFC', ['INCOMPATIBLE', 'EPERM']],
  [
    'OFPET_BAD_REQUEST',
    'OFPBRC',
    ['BAD_VERSION', 'BAD_TYPE', 'BAD_MULTIPART', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'EPERM', 'BAD_LEN', 'BUFFER_EMPTY', 'BUFFER_UNKNOWN', 'BAD_TABLE_ID', 'IS_SLAVE', 'BAD_PORT', 'BAD_PACKET', 'MULTIPART_BUFFER_OVERFLOW'],
  ],
  [
    'OFPET_BAD_ACTION',
    'OFPBAC',
    ['BAD_TYPE', 'BAD_LEN', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_OUT_PORT', 'BAD_ARGUMENT', 'EPERM', 'TOO_MANY', 'BAD_QUEUE', 'BAD_OUT_GROUP', 'MATCH_INCONSISTENT', 'UNSUPPORTED_ORDER', 'BAD_TAG', 'BAD_SET_TYPE', 'BAD_SET_LEN', 'BAD_SET_ARGUMENT'],
  ],
  ['OFPET_BAD_INSTRUCTION', 'OFPBIC', ['UNKNOWN_INST', 'UNSUP_INST', 'BAD_TABLE_ID', 'UNSUP_METADATA', 'UNSUP_METADATA_MASK', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_LEN', 'EPERM']],
  ['OFPET_BAD_MATCH', 'OFPBMC', ['BAD_TYPE', 'BAD_LEN', 'BAD_TAG', 'BAD_DL_ADDR_MASK', 'BAD_NW_ADDR_MASK', 'BAD_WILDCARDS', 'BAD_FIELD', 'BAD_VALUE', 'BAD_MASK', 'BAD_PREREQ', 'DUP_FIELD', 'EPERM']],
  ['OFPET_FLOW_MOD_FAILED', 'OFPFMFC', ['UNKNOWN', 'TABLE_FULL', 'BAD_TABLE_ID', 'OVERLAP', 'EPERM', 'BAD_TIMEOUT', 'BAD_COMMAND', 'BAD_FLAGS']],
  [
    'OFPET_GROUP_MOD_FAILED',
    'OFPGMFC',
    ['GROUP_EXISTS', 'INVALID_GROUP', 'WEIGHT_UNSUPPORTED', 'OUT_OF_GROUPS', 'OUT_OF_BUCKETS', 'CHAINING_UNSUPPORTED', 'WATCH_UNSUPPORTED', 'LOOP', 'UNKNOWN_GROUP', 'CHAINED_GROUP', 'BAD_TYPE', 'BAD_COMMAND', 'BAD_BUCKET', 'BAD_WATCH', 'EPERM'],
  ],
  ['OFPET_PORT_MOD_FAILED', 'OFPPMFC', ['BAD_PORT', 'BAD_HW_ADDR', 'BAD_CONFIG', 'BAD_ADVERTISE', 'EPERM']],
  ['OFPET_TABLE_MOD_FAILED', 'OFPTMFC', ['BAD_TABLE', 'BAD_CONFIG', 'EPERM']],
  ['OFPET_QUEUE_OP_FAILED', 'OFPQOFC', ['BAD_PORT', 'BAD_QUEUE', 'EPERM']],
  ['OFPET_SWITCH_CONFIG_FAILED', 'OFPSCFC', ['BAD_FLAGS', 'BAD_LEN', 'EPERM']],
  ['OFPET_ROLE_REQUEST_FAILED', 'OFPRRFC', ['STALE', 'UNSUP', 'BAD_ROLE']],
  [
    'OFPET_METER_MOD_FAILED',
    'OFPMMFC',
    ['UNKNOWN', 'METER_EXISTS', 'INVALID_METER', 'UNKNOWN_METER', 'BAD_COMMAND', 'BAD_FLAGS', 'BAD_RATE', 'BAD_BURST', 'BAD_BAND', 'BAD_BAND_VALUE', 'OUT_OF_METERS', 'OUT_OF_BANDS'],
  ],
  ['OFPET_TABLE_FEATURES_FAILED', 'OFPTFFC', ['BAD_TABLE', 'BAD_METADATA', 'BAD_TYPE', 'BAD_LEN', 'BAD_ARGUMENT', 'EPERM']],
];

export const OFPET_EXPERIMENTER = 0xffff;

/** OFPET_* name of an error type; unknown numbers get a readable placeholder. */
export function errorTypeName(type: number): string {
  if (type === OFPET_EXPERIMENTER) return 'OFPET_EXPERIMENTER';
  return TYPES[type]?.[0] ?? `OFPET_UNKNOWN_${type}`;
}

/** Name of a code within its type (OFPBMC_BAD_PREREQ…). */
export function errorCodeName(type: number, code: number): string {
  if (type === OFPET_EXPERIMENTER) return `OFPET_EXPERIMENTER_TYPE_${code}`;
  const t = TYPES[type];
  if (t === undefined) return `UNKNOWN_${code}`;
  const name = t[2][code];
  return name === undefined ? `${t[1]}_UNKNOWN_${code}` : `${t[1]}_${name}`;
}

/** Every (type, code) pair the specification defines, for tests and tooling. */
export function allErrorCodes(): { type: number; code: number; typeName: string; codeName: string }[] {
  const out: { type: number; code: number; typeName: string; codeName: string }[] = [];
  TYPES.forEach(([typeName, prefix, codes], type) => codes.forEach((c, code) => out.push({ type, code, typeName, codeName: `${prefix}_${c}` })));
  return out;
}

/** Looks a (type, code) pair up by the spec's names, e.g. ('OFPET_BAD_MATCH', 'OFPBMC_BAD_PREREQ'). */
export function errorCodeByName(typeName: string, codeName: string): { type: number; code: number } | undefined {
  const hit = allErrorCodes().find((e) => e.typeName === typeName && e.codeName === codeName);
  return hit === undefined ? undefined : { type: hit.type, code: hit.code };
}
