export type * from './model.js';
export { DomainBuilder, domainBuilder, type SizeUnit } from './builder.js';
export { domainXml, diskXml, interfaceXml } from './writer.js';
export { parseDomainXml } from './parser.js';
export { parseXml, serialize, escapeAttr, escapeText, isXmlSafe, type XmlElement, type XmlNode } from './xml.js';
