/** The RFC 9110 character rules that both reading requests and writing answers check. */

/** A token: a method or a field name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field value: visible characters, obs-text, SP and HTAB (as node:http); no CR, LF or other control. */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
