// aws-jwt-verify's JwtVerifier.verifySync (JWKS cached) against Node's raw crypto.verify of
// the same tokens, in interleaved rounds; CPU µs per token (process.cpuUsage).
//
//   node verify.mjs <input.json>   ->   {"versions": {...}, "micros": {"<case>": [per round]}}
//
// input.json: {"issuer", "audience", "jwks", "rs": [[token, ...] per round], "es": [...]}
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { JwtVerifier } from "aws-jwt-verify";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const verifier = JwtVerifier.create({ issuer: input.issuer, audience: input.audience });
verifier.cacheJwks(input.jwks);

const keys = new Map(input.jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: "jwk" })]));
const kidOf = (token) => JSON.parse(Buffer.from(token.split(".")[0], "base64url")).kid;
const rsKey = keys.get(kidOf(input.rs[0][0]));
const esKey = { key: keys.get(kidOf(input.es[0][0])), dsaEncoding: "ieee-p1363" };

function raw(key) {
  return (token) => {
    const dot = token.lastIndexOf(".");
    const ok = verify("sha256", Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), "base64url"));
    if (!ok) throw new Error("raw verify failed");
  };
}
const viaLibrary = (token) => verifier.verifySync(token);

const cases = [
  ["raw RS256", raw(rsKey), input.rs],
  ["raw ES256", raw(esKey), input.es],
  ["RS256", viaLibrary, input.rs],
  ["ES256", viaLibrary, input.es],
];
for (const [, call, batches] of cases) call(batches[0][0]); // warm up (JIT, key objects)

const micros = Object.fromEntries(cases.map(([name]) => [name, []]));
for (let round = 0; round < input.rs.length; round++) {
  for (const [name, call, batches] of cases) {
    const tokens = batches[round];
    const start = process.cpuUsage();
    for (const token of tokens) call(token);
    const used = process.cpuUsage(start);
    micros[name].push((used.user + used.system) / tokens.length);
  }
}
const library = JSON.parse(readFileSync(new URL("./node_modules/aws-jwt-verify/package.json", import.meta.url), "utf8"));
console.log(JSON.stringify({ versions: { node: process.version, "aws-jwt-verify": library.version }, micros }));
