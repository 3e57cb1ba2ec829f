// A small QR Code encoder (ISO/IEC 18004): byte mode (UTF-8), error correction L or M,
// versions 1-10 (up to 213 bytes at M), automatic mask by the standard's penalty rules.
// Enough for payment code_url strings and verification links; drawn as SVG.

const EC_PER_BLOCK = { L: [7, 10, 15, 20, 26, 18, 20, 24, 30, 18], M: [10, 16, 26, 18, 24, 16, 18, 22, 22, 26] };
const NUM_BLOCKS = { L: [1, 1, 1, 1, 1, 2, 2, 2, 2, 4], M: [1, 1, 1, 2, 2, 4, 4, 4, 5, 5] };
const FORMAT_ECL = { L: 1, M: 0 };
const MAX_VERSION = 10;

// --- GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1 -----------------------------------
function gfMul(a, b) {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    r = (r << 1) ^ ((r >>> 7) * 0x11d);
    r ^= ((b >>> i) & 1) * a;
  }
  return r & 0xff;
}

/** Coefficients of prod (x - 2^i), i < degree, highest term dropped (monic). */
function generator(degree) {
  const coef = new Array(degree).fill(0);
  coef[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      coef[j] = gfMul(coef[j], root);
      if (j + 1 < degree) coef[j] ^= coef[j + 1];
    }
    root = gfMul(root, 2);
  }
  return coef;
}

function ecCodewords(data, gen) {
  const rem = new Array(gen.length).fill(0);
  for (const byte of data) {
    const factor = byte ^ rem.shift();
    rem.push(0);
    for (let i = 0; i < gen.length; i++) rem[i] ^= gfMul(gen[i], factor);
  }
  return rem;
}

// --- geometry --------------------------------------------------------------------------
function rawModules(ver) {
  let n = (16 * ver + 128) * ver + 64; // all modules minus finders, timing, format
  if (ver >= 2) {
    const k = Math.floor(ver / 7) + 2;
    n -= (25 * k - 10) * k - 55; // alignment patterns (minus their overlap with timing)
    if (ver >= 7) n -= 36; // version information
  }
  return n;
}

function alignmentCenters(ver) {
  if (ver === 1) return [];
  const size = ver * 4 + 17;
  const k = Math.floor(ver / 7) + 2;
  const step = Math.ceil((ver * 4 + 4) / (k * 2 - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < k; pos -= step) out.splice(1, 0, pos);
  return out;
}

function dataCapacity(ver, ecl) {
  const total = Math.floor(rawModules(ver) / 8);
  return total - EC_PER_BLOCK[ecl][ver - 1] * NUM_BLOCKS[ecl][ver - 1];
}

// --- the matrix ------------------------------------------------------------------------
class Grid {
  constructor(ver) {
    this.ver = ver;
    this.size = ver * 4 + 17;
    this.dark = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.fixed = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
  }

  set(x, y, dark) {
    this.dark[y][x] = dark;
    this.fixed[y][x] = true;
  }

  drawFunctionPatterns() {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    for (const [cx, cy] of [[3, 3], [n - 4, 3], [3, n - 4]]) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          if (x < 0 || y < 0 || x >= n || y >= n) continue;
          const d = Math.max(Math.abs(dx), Math.abs(dy));
          this.set(x, y, d !== 2 && d !== 4);
        }
      }
    }
    const centers = alignmentCenters(this.ver);
    const last = centers.length - 1;
    centers.forEach((cy, i) => centers.forEach((cx, j) => {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) this.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }));
    this.drawFormat("M", 0); // reserves the area; redrawn once the mask is chosen
    if (this.ver >= 7) {
      let rem = this.ver;
      for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
      const bits = (this.ver << 12) | rem;
      for (let i = 0; i < 18; i++) {
        const bit = ((bits >>> i) & 1) === 1;
        const a = n - 11 + (i % 3);
        const b = Math.floor(i / 3);
        this.set(a, b, bit);
        this.set(b, a, bit);
      }
    }
  }

  drawFormat(ecl, mask) {
    const data = (FORMAT_ECL[ecl] << 3) | mask;
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bit = (i) => ((bits >>> i) & 1) === 1;
    const n = this.size;
    for (let i = 0; i <= 5; i++) this.set(8, i, bit(i));
    this.set(8, 7, bit(6));
    this.set(8, 8, bit(7));
    this.set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.set(n - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.set(8, n - 15 + i, bit(i));
    this.set(8, n - 8, true); // the dark module
  }

  placeCodewords(codewords) {
    const n = this.size;
    let i = 0;
    const total = codewords.length * 8;
    for (let right = n - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      const upward = ((right + 1) & 2) === 0;
      for (let v = 0; v < n; v++) {
        const y = upward ? n - 1 - v : v;
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          if (this.fixed[y][x]) continue;
          this.dark[y][x] = i < total && ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
          i++;
        }
      }
    }
  }

  applyMask(mask) {
    const test = MASKS[mask];
    for (let y = 0; y < this.size; y++) {
      for (let x = 0; x < this.size; x++) {
        if (!this.fixed[y][x] && test(x, y)) this.dark[y][x] = !this.dark[y][x];
      }
    }
  }

  penalty() {
    const n = this.size;
    const m = this.dark;
    let score = 0;
    const lines = [];
    for (let y = 0; y < n; y++) lines.push(m[y]);
    for (let x = 0; x < n; x++) lines.push(m.map((row) => row[x]));
    for (const line of lines) {
      let run = 1;
      for (let i = 1; i <= n; i++) {
        if (i < n && line[i] === line[i - 1]) run++;
        else {
          if (run >= 5) score += 3 + (run - 5);
          run = 1;
        }
      }
      // 1:1:3:1:1 finder-like runs with four light modules on one side (outside = light)
      const at = (i) => (i >= 0 && i < n ? line[i] : false);
      for (let i = -4; i < n; i++) {
        const core = at(i) && !at(i + 1) && at(i + 2) && at(i + 3) && at(i + 4) && !at(i + 5) && at(i + 6);
        if (!core) continue;
        const lightBefore = !at(i - 1) && !at(i - 2) && !at(i - 3) && !at(i - 4);
        const lightAfter = !at(i + 7) && !at(i + 8) && !at(i + 9) && !at(i + 10);
        if (lightBefore || lightAfter) score += 40;
      }
    }
    for (let y = 0; y < n - 1; y++) {
      for (let x = 0; x < n - 1; x++) {
        const c = m[y][x];
        if (c === m[y][x + 1] && c === m[y + 1][x] && c === m[y + 1][x + 1]) score += 3;
      }
    }
    let darkCount = 0;
    for (const row of m) for (const c of row) if (c) darkCount++;
    const total = n * n;
    const k = Math.ceil(Math.abs(darkCount * 20 - total * 10) / total) - 1;
    score += k * 10;
    return score;
  }
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function dataCodewords(bytes, ver, ecl) {
  const capacity = dataCapacity(ver, ecl);
  const bits = [];
  const push = (value, len) => {
    for (let i = len - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  push(0b0100, 4);
  push(bytes.length, ver <= 9 ? 8 : 16);
  for (const b of bytes) push(b, 8);
  push(0, Math.min(4, capacity * 8 - bits.length));
  while (bits.length % 8) bits.push(0);
  const out = [];
  for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  for (let pad = 0xec; out.length < capacity; pad ^= 0xec ^ 0x11) out.push(pad);
  return out;
}

function interleave(data, ver, ecl) {
  const numBlocks = NUM_BLOCKS[ecl][ver - 1];
  const ecLen = EC_PER_BLOCK[ecl][ver - 1];
  const total = Math.floor(rawModules(ver) / 8);
  const shortLen = Math.floor(total / numBlocks) - ecLen; // data codewords of a short block
  const numShort = numBlocks - (total % numBlocks);
  const gen = generator(ecLen);
  const blocks = [];
  let k = 0;
  for (let i = 0; i < numBlocks; i++) {
    const len = shortLen + (i < numShort ? 0 : 1);
    const d = data.slice(k, k + len);
    k += len;
    blocks.push({ d, e: ecCodewords(d, gen) });
  }
  const out = [];
  for (let i = 0; i <= shortLen; i++) for (const b of blocks) if (i < b.d.length) out.push(b.d[i]);
  for (let i = 0; i < ecLen; i++) for (const b of blocks) out.push(b.e[i]);
  return out;
}

/** Encode text; returns {version, mask, size, modules: boolean[][] (row-major, true = dark)}. */
export function encode(text, { ecl = "M", mask = null, version = null } = {}) {
  const bytes = Array.from(new TextEncoder().encode(text));
  let ver = version;
  if (!ver) {
    for (let v = 1; v <= MAX_VERSION && !ver; v++) {
      if (4 + (v <= 9 ? 8 : 16) + bytes.length * 8 <= dataCapacity(v, ecl) * 8) ver = v;
    }
  }
  if (!ver) throw new Error("二维码内容过长");
  const codewords = interleave(dataCodewords(bytes, ver, ecl), ver, ecl);
  let best = null;
  for (let m = 0; m < 8; m++) {
    if (mask !== null && m !== mask) continue;
    const g = new Grid(ver);
    g.drawFunctionPatterns();
    g.placeCodewords(codewords);
    g.applyMask(m);
    g.drawFormat(ecl, m);
    const score = mask !== null ? 0 : g.penalty();
    if (!best || score < best.score) best = { score, grid: g, mask: m };
  }
  return { version: ver, mask: best.mask, size: best.grid.size, modules: best.grid.dark };
}

function escapeXml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** An SVG string of the QR code with a 4-module quiet zone. */
export function qrSvg(text, { label = "二维码", ecl = "M" } = {}) {
  const { size, modules } = encode(text, { ecl });
  const q = 4;
  let path = "";
  modules.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) path += `M${x + q} ${y + q}h1v1h-1z`;
  }));
  const dim = size + q * 2;
  return `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${dim} ${dim}" role="img" aria-label="${escapeXml(label)}" shape-rendering="crispEdges"><rect width="${dim}" height="${dim}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
