import { DecodeErrorReason } from './decode-error';
import type { TemplateKind } from './exporter-state';
import type { FieldSpecifier } from './information-element';

/** What a template set says, record by record, in order. The decoder applies these to its template cache. */
export type TemplateSetItem =
  | { type: 'template'; kind: TemplateKind; templateId: number; fields: FieldSpecifier[]; scopeFieldCount: number; offset: number }
  | { type: 'withdraw'; templateId: number; offset: number }
  | { type: 'withdrawAll'; kind: TemplateKind; offset: number }
  | { type: 'error'; reason: DecodeErrorReason; offset: number; detail: string };

const error = (reason: DecodeErrorReason, offset: number, detail: string): TemplateSetItem => ({ type: 'error', reason, offset, detail });

/** Trailing zero bytes after the last record: padding to a 4-byte boundary (RFC 3954 5.3, RFC 7011 3.3.1). */
function isPadding(view: DataView, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (view.getUint8(i) !== 0) return false;
  return true;
}

/**
 * RFC 3954 section 5.2: a template flowset (id 0) is {template id, field count, (type, length) * count} repeated,
 * then padding. A record that cannot be parsed ends the set: nothing after it can be located.
 */
export function parseV9TemplateSet(view: DataView, start: number, end: number, maxFields: number): TemplateSetItem[] {
  const items: TemplateSetItem[] = [];
  let p = start;
  while (end - p >= 4) {
    const templateId = view.getUint16(p);
    const count = view.getUint16(p + 2);
    if (templateId < 256) {
      if (!isPadding(view, p, end)) items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `template id ${templateId}`));
      break;
    }
    const length = 4 + count * 4;
    if (length > end - p) {
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} truncated`));
      break;
    }
    if (count === 0) {
      // v9 has no withdrawal: a template without fields describes nothing.
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} without fields`));
    } else if (count > maxFields) {
      items.push(error(DecodeErrorReason.TEMPLATE_TOO_LARGE, p, `template ${templateId}: ${count} fields`));
    } else {
      const fields: FieldSpecifier[] = new Array(count);
      for (let i = 0; i < count; i++) {
        fields[i] = { id: view.getUint16(p + 4 + i * 4), length: view.getUint16(p + 6 + i * 4), enterprise: 0 };
      }
      items.push({ type: 'template', kind: 'data', templateId, fields, scopeFieldCount: 0, offset: p });
    }
    p += length;
  }
  return items;
}

/**
 * RFC 3954 section 6.1: an options template flowset (id 1) is {template id, option scope length (bytes), option
 * length (bytes), scope (type, length) pairs, option (type, length) pairs} repeated, then padding.
 */
export function parseV9OptionsTemplateSet(view: DataView, start: number, end: number, maxFields: number): TemplateSetItem[] {
  const items: TemplateSetItem[] = [];
  let p = start;
  while (end - p >= 6) {
    const templateId = view.getUint16(p);
    const scopeLength = view.getUint16(p + 2);
    const optionLength = view.getUint16(p + 4);
    if (templateId < 256) {
      if (!isPadding(view, p, end)) items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template id ${templateId}`));
      break;
    }
    if (scopeLength % 4 !== 0 || optionLength % 4 !== 0 || 6 + scopeLength + optionLength > end - p) {
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} lengths`));
      break;
    }
    const count = (scopeLength + optionLength) / 4;
    const scopeCount = scopeLength / 4;
    if (scopeCount === 0 || count === scopeCount) {
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} without scope or options`));
    } else if (count > maxFields) {
      items.push(error(DecodeErrorReason.TEMPLATE_TOO_LARGE, p, `options template ${templateId}: ${count} fields`));
    } else {
      const fields: FieldSpecifier[] = new Array(count);
      for (let i = 0; i < count; i++) {
        fields[i] = { id: view.getUint16(p + 6 + i * 4), length: view.getUint16(p + 8 + i * 4), enterprise: 0 };
      }
      items.push({ type: 'template', kind: 'options', templateId, fields, scopeFieldCount: scopeCount, offset: p });
    }
    p += 6 + scopeLength + optionLength;
  }
  return items;
}

/**
 * RFC 7011 sections 3.4.1, 3.4.2 and 8.1: template records {id, field count, specifiers} (set 2), options template
 * records {id, field count, scope field count, specifiers} (set 3). A specifier with the enterprise bit set is
 * followed by a 4-byte enterprise number. Field count 0 withdraws the template; template id 2 in set 2 (or 3 in set
 * 3) with field count 0 withdraws all templates of that kind in the observation domain.
 */
export function parseIpfixTemplateSet(view: DataView, start: number, end: number, options: boolean, maxFields: number): TemplateSetItem[] {
  const items: TemplateSetItem[] = [];
  const kind: TemplateKind = options ? 'options' : 'data';
  let p = start;
  while (end - p >= 4) {
    const templateId = view.getUint16(p);
    const count = view.getUint16(p + 2);
    if (count === 0) {
      if (templateId === (options ? 3 : 2)) items.push({ type: 'withdrawAll', kind, offset: p });
      else if (templateId >= 256) items.push({ type: 'withdraw', templateId, offset: p });
      else {
        if (!isPadding(view, p, end)) items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `withdrawal of template id ${templateId}`));
        break;
      }
      p += 4;
      continue;
    }
    if (templateId < 256) {
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `template id ${templateId}`));
      break;
    }
    let q = p + 4;
    let scopeCount = 0;
    if (options) {
      if (end - q < 2) {
        items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} truncated`));
        break;
      }
      scopeCount = view.getUint16(q);
      q += 2;
    }
    // Oversized templates are walked (to find the next record) but not kept.
    const keep = count <= maxFields;
    const fields: FieldSpecifier[] = [];
    let truncated = false;
    for (let i = 0; i < count; i++) {
      if (end - q < 4) {
        truncated = true;
        break;
      }
      let id = view.getUint16(q);
      const length = view.getUint16(q + 2);
      q += 4;
      let enterprise = 0;
      if (id & 0x8000) {
        if (end - q < 4) {
          truncated = true;
          break;
        }
        enterprise = view.getUint32(q);
        id &= 0x7fff;
        q += 4;
      }
      if (keep) fields.push({ id, length, enterprise });
    }
    if (truncated) {
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} truncated`));
      break;
    }
    if (!keep) {
      items.push(error(DecodeErrorReason.TEMPLATE_TOO_LARGE, p, `template ${templateId}: ${count} fields`));
    } else if (options && (scopeCount === 0 || scopeCount > count)) {
      // RFC 7011 section 3.4.2.2: "The Scope Field Count MUST NOT be zero."
      items.push(error(DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} scope count ${scopeCount}`));
    } else {
      items.push({ type: 'template', kind, templateId, fields, scopeFieldCount: scopeCount, offset: p });
    }
    p = q;
  }
  return items;
}
