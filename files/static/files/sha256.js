/* SHA-256 fed in pieces. WebCrypto's digest() needs the whole input at once,
 * so files.js hashes large files (and every file where crypto.subtle is
 * missing: pages served neither over https nor from localhost) with this,
 * in a Web Worker so that the page stays responsive.
 *
 * As a worker: post it a File; it answers {loaded: bytes} after each slice
 * it reads, then {sha256: "<64 hex digits>"} or {error: "..."}.
 * As a plain script: defines CollabSha256 (new CollabSha256().update(bytes).hex()). */
(function (scope) {
  "use strict";

  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  class Sha256 {
    constructor() {
      this.state = new Int32Array([
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
      ]);
      this.w = new Int32Array(64);
      this.block = new Uint8Array(64); // bytes waiting for a full 64-byte block
      this.used = 0;
      this.length = 0; // bytes hashed so far
    }

    update(bytes) {
      const n = bytes.length;
      let pos = 0;
      this.length += n;
      if (this.used) {
        pos = Math.min(64 - this.used, n);
        this.block.set(bytes.subarray(0, pos), this.used);
        this.used += pos;
        if (this.used < 64) return this;
        this.compress(this.block, 0);
        this.used = 0;
      }
      for (; pos + 64 <= n; pos += 64) this.compress(bytes, pos);
      if (pos < n) {
        this.block.set(bytes.subarray(pos), 0);
        this.used = n - pos;
      }
      return this;
    }

    // The digest as hex; the object is spent afterwards.
    hex() {
      const length = this.length;
      const pad = new Uint8Array((this.used < 56 ? 64 : 128) - this.used);
      pad[0] = 0x80;
      const tail = new DataView(pad.buffer, pad.length - 8);
      tail.setUint32(0, Math.floor(length / 0x20000000)); // length in bits, high word
      tail.setUint32(4, (length % 0x20000000) * 8); // ... and low word
      this.update(pad);
      return Array.from(this.state, (x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
    }

    compress(bytes, p) {
      const w = this.w;
      const s = this.state;
      for (let i = 0; i < 16; i++, p += 4) {
        w[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
      }
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15];
        const y = w[i - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0;
        d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      s[0] += a; s[1] += b; s[2] += c; s[3] += d;
      s[4] += e; s[5] += f; s[6] += g; s[7] += h;
    }
  }

  scope.CollabSha256 = Sha256;

  if (typeof WorkerGlobalScope !== "undefined" && scope instanceof WorkerGlobalScope) {
    const SLICE = 4 * 1024 * 1024; // read at a time: memory stays small whatever the file
    scope.onmessage = (event) => {
      const file = event.data;
      const reader = new FileReaderSync();
      const hash = new Sha256();
      try {
        for (let offset = 0; offset < file.size; offset += SLICE) {
          const slice = file.slice(offset, offset + SLICE);
          hash.update(new Uint8Array(reader.readAsArrayBuffer(slice)));
          scope.postMessage({ loaded: Math.min(offset + SLICE, file.size) });
        }
        scope.postMessage({ sha256: hash.hex() });
      } catch (error) { // unreadable file (removed, permissions)
        scope.postMessage({ error: String(error) });
      }
    };
  }
})(self);
