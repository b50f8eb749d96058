/** Sensor unit type codes (IPMI 2.0 section 43.17), named as ipmitool prints them. */
export const SENSOR_UNITS: readonly string[] = [
  'unspecified', 'degrees C', 'degrees F', 'degrees K', 'Volts', 'Amps', 'Watts', 'Joules', 'Coulombs', 'VA',
  'Nits', 'lumen', 'lux', 'Candela', 'kPa', 'PSI', 'Newton', 'CFM', 'RPM', 'Hz',
  'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'mil', 'inches', 'feet',
  'cu in', 'cu feet', 'mm', 'cm', 'm', 'cu cm', 'cu m', 'liters', 'fluid ounce', 'radians',
  'steradians', 'revolutions', 'cycles', 'gravities', 'ounce', 'pound', 'ft-lb', 'oz-in', 'gauss', 'gilberts',
  'henry', 'millihenry', 'farad', 'microfarad', 'ohms', 'siemens', 'mole', 'becquerel', 'PPM', 'reserved',
  'Decibels', 'DbA', 'DbC', 'gray', 'sievert', 'color temp deg K', 'bit', 'kilobit', 'megabit', 'gigabit',
  'byte', 'kilobyte', 'megabyte', 'gigabyte', 'word', 'dword', 'qword', 'line', 'hit', 'miss',
  'retry', 'reset', 'overflow', 'underrun', 'collision', 'packets', 'messages', 'characters', 'error', 'correctable error',
  'uncorrectable error', 'fatal error', 'grams',
];

export function unitName(code: number): string {
  return SENSOR_UNITS[code] ?? `unit ${code}`;
}

/** Generic sensor type codes (table 42-3) for the types a server usually has. */
export const SENSOR_TYPES: Record<number, string> = {
  0x01: 'Temperature', 0x02: 'Voltage', 0x03: 'Current', 0x04: 'Fan', 0x05: 'Physical Security', 0x06: 'Platform Security',
  0x07: 'Processor', 0x08: 'Power Supply', 0x09: 'Power Unit', 0x0a: 'Cooling Device', 0x0b: 'Other Units Based Sensor',
  0x0c: 'Memory', 0x0d: 'Drive Slot', 0x0e: 'POST Memory Resize', 0x0f: 'System Firmware Progress', 0x10: 'Event Logging Disabled',
  0x11: 'Watchdog 1', 0x12: 'System Event', 0x13: 'Critical Interrupt', 0x14: 'Button / Switch', 0x15: 'Module / Board',
  0x16: 'Microcontroller / Coprocessor', 0x17: 'Add-in Card', 0x18: 'Chassis', 0x19: 'Chip Set', 0x1a: 'Other FRU',
  0x1b: 'Cable / Interconnect', 0x1c: 'Terminator', 0x1d: 'System Boot Initiated', 0x1e: 'Boot Error', 0x1f: 'OS Boot',
  0x20: 'OS Critical Stop', 0x21: 'Slot / Connector', 0x22: 'System ACPI Power State', 0x23: 'Watchdog 2', 0x24: 'Platform Alert',
  0x25: 'Entity Presence', 0x26: 'Monitor ASIC', 0x27: 'LAN', 0x28: 'Management Subsystem Health', 0x29: 'Battery',
  0x2a: 'Session Audit', 0x2b: 'Version Change', 0x2c: 'FRU State',
};

export function sensorTypeName(code: number): string {
  return SENSOR_TYPES[code] ?? (code >= 0xc0 ? 'OEM reserved' : `type 0x${code.toString(16)}`);
}
