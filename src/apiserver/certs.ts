/**
 * The cluster's PKI, made on first start: a self-signed CA and a serving certificate for
 * 127.0.0.1/localhost signed by it. Keys come from Node's crypto (fast, native); node-forge
 * only builds and signs the X.509 structures, which Node cannot do by itself.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ServingPKI {
  caCert: string;
  cert: string;
  key: string;
}

function newKey(): { privatePem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  const forgePub = forge.pki.rsa.setPublicKey(forgeKey.n, forgeKey.e);
  return { privatePem, forgeKey, forgePub };
}

function serial(): string {
  // Positive 16-byte serial number (high bit cleared).
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function makeCert(opts: {
  subjectCN: string;
  pub: forge.pki.rsa.PublicKey;
  signer: forge.pki.rsa.PrivateKey;
  issuer?: forge.pki.Certificate;
  isCA: boolean;
  years: number;
  altNames?: { ips: string[]; dns: string[] };
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.pub;
  cert.serialNumber = serial();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + opts.years * 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: opts.subjectCN }];
  cert.setSubject(subject);
  cert.setIssuer(opts.issuer ? opts.issuer.subject.attributes : subject);
  const exts: any[] = [
    { name: 'basicConstraints', cA: opts.isCA, critical: true },
    opts.isCA
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (!opts.isCA) exts.push({ name: 'extKeyUsage', serverAuth: true, clientAuth: true });
  if (opts.altNames) {
    exts.push({
      name: 'subjectAltName',
      altNames: [
        ...opts.altNames.dns.map((value) => ({ type: 2, value })),
        ...opts.altNames.ips.map((ip) => ({ type: 7, ip })),
      ],
    });
  }
  cert.setExtensions(exts);
  cert.sign(opts.signer, forge.md.sha256.create());
  return cert;
}

/**
 * Loads DIR/pki/{ca.crt,apiserver.crt,apiserver.key}, creating them when absent.
 * The CA key is kept too (ca.key) so later components (node agents) can be issued certificates.
 */
export function ensureServingPKI(dataDir: string, hosts: { ips: string[]; dns: string[] }): ServingPKI {
  const dir = join(dataDir, 'pki');
  const caCrtPath = join(dir, 'ca.crt');
  const crtPath = join(dir, 'apiserver.crt');
  const keyPath = join(dir, 'apiserver.key');
  if (existsSync(caCrtPath) && existsSync(crtPath) && existsSync(keyPath)) {
    return {
      caCert: readFileSync(caCrtPath, 'utf8'),
      cert: readFileSync(crtPath, 'utf8'),
      key: readFileSync(keyPath, 'utf8'),
    };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = newKey();
  const caCert = makeCert({ subjectCN: 'peapod-ca', pub: ca.forgePub, signer: ca.forgeKey, isCA: true, years: 10 });
  const srv = newKey();
  const srvCert = makeCert({
    subjectCN: 'peapod-apiserver',
    pub: srv.forgePub,
    signer: ca.forgeKey,
    issuer: caCert,
    isCA: false,
    years: 5,
    altNames: hosts,
  });
  const pki: ServingPKI = {
    caCert: forge.pki.certificateToPem(caCert),
    cert: forge.pki.certificateToPem(srvCert),
    key: srv.privatePem,
  };
  writeFileSync(join(dir, 'ca.key'), ca.privatePem, { mode: 0o600 });
  writeFileSync(caCrtPath, pki.caCert);
  writeFileSync(keyPath, pki.key, { mode: 0o600 });
  // The certificate is written last: its presence marks a complete set.
  writeFileSync(crtPath, pki.cert);
  return pki;
}
