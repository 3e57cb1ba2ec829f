// QR codes (the WeChat Pay code_url, links) drawn as SVG by a maintained encoder: the npm
// package qrcode-generator, vendored at set-up (web/vendor.json → web/vendor/). This file
// only turns text into UTF-8 bytes, asks for the smallest version that holds them, and
// draws the modules.
import qrcode from "./vendor/qrcode-generator.js";

/** UTF-8 bytes as a string of code units 0–255: qrcode-generator's byte mode takes each
 * code unit's low byte, so this keeps Chinese text intact. */
function utf8(text) {
  let out = "";
  for (const b of new TextEncoder().encode(String(text))) out += String.fromCharCode(b);
  return out;
}

/** The QR code of `text` in byte mode: {version, size, modules} (modules[row][col], true =
 * dark). ecl: "L", "M", "Q" or "H". Throws Error("二维码内容过长") beyond version 40. */
export function encode(text, { ecl = "M" } = {}) {
  const qr = qrcode(0, ecl); // 0: the smallest version that fits
  qr.addData(utf8(text), "Byte");
  try {
    qr.make();
  } catch {
    throw new Error("二维码内容过长");
  }
  const size = qr.getModuleCount();
  const modules = Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => qr.isDark(r, c)));
  return { version: (size - 17) / 4, size, modules };
}

function escapeXml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** An SVG string of the QR code with a 4-module quiet zone, named for screen readers. */
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
