// Turning a preview conversation into a `sangdam simulate` script (YAML): each turn says what the
// customer said and expects what the agent did — the skill, whether it handed off, and a piece of
// the reply that pins the answer down (an order or tracking number when there is one).

/** A YAML double-quoted scalar; JSON's escapes are valid there. */
const q = (text) => JSON.stringify(String(text));

/** A flow mapping of the entries whose value is not undefined. */
const flow = (entries) => `{ ${entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;

/** A text of the settings: one string, or a mapping of the languages written. */
const text = (value) => {
  if (!value) return undefined;
  return typeof value === 'string' ? q(value) : flow(['ko', 'en'].map((l) => [l, value[l] ? q(value[l]) : undefined]));
};

/** Numbers of three digits or more (order, tracking and phone numbers), longest first. */
function numbers(text) {
  const found = String(text).match(/\d[\d-]{2,}\d|\d{3,}/g) || [];
  return [...new Set(found)].sort((a, b) => b.length - a.length);
}

/** The opening of a reply, cut at the end of its first sentence or a word near 32 characters. */
function opening(reply) {
  const text = reply.trim();
  const sentence = text.split(/(?<=[.!?。])\s|\n/)[0].replace(/[.!?。]$/, '');
  if (sentence.length <= 32) return sentence;
  const cut = sentence.slice(0, 32);
  const space = cut.lastIndexOf(' ');
  return space > 8 ? cut.slice(0, space) : cut;
}

/** Texts the replies must contain: numbers the customer also said first, else the reply's opening. */
export function evidence(say, replies) {
  const all = replies.join('\n');
  if (!all.trim()) return [];
  const found = numbers(all);
  const said = found.filter((n) => String(say).includes(n));
  if (said.length) return said.slice(0, 2);
  if (found.length) return found.slice(0, 1);
  const first = replies.find((r) => r.trim());
  const open = first ? opening(first) : '';
  return open ? [open] : [];
}

/**
 * The script: `{ name, channel, customer: {name,email,phone}, skills: [id], handoff: settings|null,
 * turns: [{ say, replies, trace }] }`. The channel's enabled skills are written out, so the script
 * routes as the preview did even where the channel has skills switched off.
 */
export function buildScript({ name, channel, customer, skills, handoff, turns }, savedAt = new Date()) {
  const lines = [
    `# Saved from the sangdam preview on ${savedAt.toISOString()}.`,
    '# Run it with: sangdam simulate <this file>',
    `name: ${q(name)}`,
    `channel: ${channel}`,
  ];
  const who = ['name', 'email', 'phone'].filter((k) => customer && customer[k]).map((k) => [k, q(customer[k])]);
  if (who.length) lines.push(`customer: ${flow(who)}`);
  if (Array.isArray(skills)) lines.push(`skills: [${skills.join(', ')}]`);
  if (handoff && handoff.action) {
    lines.push(`handoff: ${flow([
      ['action', handoff.action],
      ['helpdesk', handoff.helpdesk ? q(handoff.helpdesk) : undefined],
      ['message', text(handoff.message)],
      ['max_fallbacks', handoff.max_fallbacks || undefined],
      ['fallback_message', text(handoff.fallback_message)],
    ])}`);
  }
  lines.push('turns:');
  for (const turn of turns) {
    const contains = evidence(turn.say, turn.replies);
    lines.push(`  - say: ${q(turn.say)}`);
    lines.push(`    expect: ${flow([
      ['skill', turn.trace.skill ? turn.trace.skill : 'null'],
      ['handoff', turn.trace.handoff ? 'true' : 'false'],
      ['reply_contains', contains.length ? `[${contains.map(q).join(', ')}]` : undefined],
    ])}`);
  }
  return lines.join('\n') + '\n';
}

/** A file name for the script: its name in lower case, words joined by dashes. */
export function fileName(name) {
  const slug = String(name).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return (slug || 'preview-script') + '.yaml';
}

/** Offers `text` as a download named `name`. */
export function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
