package glm3.client;

import glm3.client.Options.UsageException;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TLS credentials of the channel, from the PEM files of {@code --ca}, {@code --cert} and {@code --key}.
 * Every file is read and checked before the call, so that a missing file, one that holds no PEM of the
 * right kind, or a key that does not match its certificate is a usage error (exit status 2), as in the Go
 * and Node clients.
 *
 * <p>gRPC's Netty transport reads PKCS#8 keys only ({@code BEGIN PRIVATE KEY}); OpenSSL and Python's
 * {@code cryptography} often write PKCS#1 RSA keys ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC keys
 * ({@code BEGIN EC PRIVATE KEY}), so those are rewrapped as PKCS#8 here (a few lines of DER, no extra
 * library). Encrypted keys are not supported.
 */
final class Tls {
  private Tls() {}

  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

  // Object identifiers, DER-encoded with their tag and length.
  private static final byte[] OID_RSA_ENCRYPTION =
      {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  private static final byte[] OID_EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
  private static final byte[] DER_NULL = {0x05, 0x00};
  private static final byte[] DER_ZERO = {0x02, 0x01, 0x00};

  static ChannelCredentials credentials(Options o) throws UsageException {
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    if (o.caFile != null) {
      byte[] pem = read("--ca", o.caFile);
      if (certificates("--ca", o.caFile, pem).isEmpty()) {
        throw new UsageException("--ca: no PEM certificate in " + o.caFile);
      }
      try {
        builder.trustManager(new ByteArrayInputStream(pem));
      } catch (IOException | IllegalArgumentException e) {
        throw new UsageException("--ca: " + o.caFile + ": " + e.getMessage());
      }
    }
    if (o.certFile != null) {
      byte[] certPem = read("--cert", o.certFile);
      List<X509Certificate> chain = certificates("--cert/--key", o.certFile, certPem);
      if (chain.isEmpty()) {
        throw new UsageException("--cert/--key: no PEM certificate in " + o.certFile);
      }
      byte[] pkcs8 = pkcs8(read("--key", o.keyFile), o.keyFile);
      PrivateKey key = privateKey(pkcs8, o.keyFile);
      checkPair(chain.get(0), key);
      try {
        builder.keyManager(new ByteArrayInputStream(certPem), new ByteArrayInputStream(pem("PRIVATE KEY", pkcs8)));
      } catch (IOException | IllegalArgumentException e) {
        throw new UsageException("--cert/--key: " + e.getMessage());
      }
    }
    return builder.build();
  }

  private static byte[] read(String flag, String file) throws UsageException {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new UsageException(flag + ": open " + file + ": no such file or directory");
    } catch (AccessDeniedException e) {
      throw new UsageException(flag + ": open " + file + ": permission denied");
    } catch (IOException e) {
      throw new UsageException(flag + ": " + file + ": " + e.getMessage());
    }
  }

  /** The PEM blocks of {@code text} with this label, decoded. */
  static List<byte[]> blocks(String text, String label) {
    List<byte[]> found = new ArrayList<>();
    Matcher m = PEM_BLOCK.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(label)) {
        found.add(Base64.getMimeDecoder().decode(m.group(2)));
      }
    }
    return found;
  }

  static List<X509Certificate> certificates(String flag, String file, byte[] pem) throws UsageException {
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (byte[] der : blocks(new String(pem, StandardCharsets.US_ASCII), "CERTIFICATE")) {
        certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
    } catch (CertificateException | IllegalArgumentException e) {
      throw new UsageException(flag + ": bad certificate in " + file + ": " + e.getMessage());
    }
    return certificates;
  }

  /** The private key of a PEM file as PKCS#8 DER: PKCS#8 as it is, PKCS#1 RSA and SEC1 EC rewrapped. */
  static byte[] pkcs8(byte[] pem, String file) throws UsageException {
    String text = new String(pem, StandardCharsets.US_ASCII);
    try {
      List<byte[]> found = blocks(text, "PRIVATE KEY");
      if (!found.isEmpty()) {
        return found.get(0);
      }
      found = blocks(text, "RSA PRIVATE KEY");
      if (!found.isEmpty()) {
        // PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier { rsaEncryption, NULL }, OCTET STRING }
        return tlv(0x30, DER_ZERO, tlv(0x30, OID_RSA_ENCRYPTION, DER_NULL), tlv(0x04, found.get(0)));
      }
      found = blocks(text, "EC PRIVATE KEY");
      if (!found.isEmpty()) {
        byte[] sec1 = found.get(0);
        return tlv(0x30, DER_ZERO, tlv(0x30, OID_EC_PUBLIC_KEY, namedCurve(sec1, file)), tlv(0x04, sec1));
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException("--cert/--key: bad PEM in " + file + ": " + e.getMessage());
    }
    if (!blocks(text, "ENCRYPTED PRIVATE KEY").isEmpty()) {
      throw new UsageException("--cert/--key: " + file + " holds an encrypted key: give it unencrypted");
    }
    throw new UsageException("--cert/--key: no PEM private key in " + file);
  }

  /**
   * The curve of a SEC1 key: ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
   * parameters [0] OBJECT IDENTIFIER OPTIONAL, publicKey [1] BIT STRING OPTIONAL }.
   */
  private static byte[] namedCurve(byte[] sec1, String file) throws UsageException {
    int[] cursor = {0};
    if (sec1.length == 0 || sec1[0] != 0x30) {
      throw new UsageException("--cert/--key: bad EC private key in " + file);
    }
    cursor[0] = 1;
    int end = length(sec1, cursor) + cursor[0];
    while (cursor[0] < end && cursor[0] < sec1.length) {
      int tag = sec1[cursor[0]++] & 0xff;
      int len = length(sec1, cursor);
      if (tag == 0xa0) {
        byte[] oid = new byte[len];
        System.arraycopy(sec1, cursor[0], oid, 0, len);
        return oid; // the OBJECT IDENTIFIER's own TLV
      }
      cursor[0] += len;
    }
    throw new UsageException("--cert/--key: the EC private key in " + file + " does not name its curve");
  }

  private static int length(byte[] der, int[] cursor) {
    if (cursor[0] >= der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    int first = der[cursor[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int n = first & 0x7f;
    if (n == 0 || n > 3 || cursor[0] + n > der.length) {
      throw new IllegalArgumentException("bad DER length");
    }
    int len = 0;
    for (int i = 0; i < n; i++) {
      len = (len << 8) | (der[cursor[0]++] & 0xff);
    }
    return len;
  }

  /** One DER tag-length-value whose value is the concatenation of {@code parts}. */
  static byte[] tlv(int tag, byte[]... parts) {
    ByteArrayOutputStream value = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      value.writeBytes(part);
    }
    int len = value.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(value.toByteArray());
    return out.toByteArray();
  }

  static byte[] pem(String label, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return ("-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  static PrivateKey privateKey(byte[] pkcs8, String file) throws UsageException {
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException e) {
        // not this algorithm: try the next
      }
    }
    throw new UsageException("--cert/--key: unsupported or bad private key in " + file);
  }

  /** Signs with the key and verifies with the certificate: a key of another certificate is a usage error. */
  private static void checkPair(X509Certificate certificate, PrivateKey key) throws UsageException {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
      default -> null;
    };
    if (algorithm == null) {
      return;
    }
    byte[] probe = new byte[32];
    new SecureRandom().nextBytes(probe);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new UsageException("--cert/--key: the private key does not match the certificate");
    }
  }
}
