package org.referralbackbone.example;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * The wire format of CONTRACT.md: every record in Avro single-object encoding (marker C3 01,
 * the 8-byte CRC-64-AVRO fingerprint little-endian, the binary body), with the contract's .avsc
 * files as packed in the jar under {@code schemas/} (earlier versions under
 * {@code schemas/previous/}).
 */
final class Contract {
  static final String NAMESPACE = "referralbackbone.case.v1";

  private final Map<String, Schema> current = new HashMap<>();
  private final Map<Long, Schema> byFingerprint = new HashMap<>();

  Contract() {
    for (String resource : schemaResources()) {
      Schema schema = parse(resource);
      byFingerprint.put(SchemaNormalization.parsingFingerprint64(schema), schema);
      if (!resource.contains("/previous/")) {
        current.put(schema.getFullName(), schema);
      }
    }
  }

  /** The current schema of a wire name such as {@code CaseReported}. */
  Schema schema(String wireName) {
    Schema schema = current.get(NAMESPACE + "." + wireName);
    if (schema == null) {
      throw new IllegalArgumentException("no schema named " + wireName);
    }
    return schema;
  }

  byte[] encode(GenericRecord record) {
    try {
      ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), record.getSchema())
          .encode(record);
      byte[] bytes = new byte[encoded.remaining()];
      encoded.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A message read into the current version of its writer's schema. */
  GenericRecord decode(byte[] message) {
    if (message.length < 10 || message[0] != (byte) 0xC3 || message[1] != 0x01) {
      throw new IllegalArgumentException("not single-object encoded");
    }
    long fingerprint = ByteBuffer.wrap(message, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Schema writer = byFingerprint.get(fingerprint);
    if (writer == null) {
      throw new IllegalArgumentException("unknown fingerprint " + Long.toHexString(fingerprint));
    }
    Schema reader = current.getOrDefault(writer.getFullName(), writer);
    BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), reader);
    decoder.addSchema(writer);
    try {
      return decoder.decode(message);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Schema parse(String resource) {
    try (InputStream in = Contract.class.getResourceAsStream(resource)) {
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The .avsc resources, whether the classes run from a jar or from a folder. */
  private static List<String> schemaResources() {
    try {
      Path origin = Path.of(Contract.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isDirectory(origin)) {
        return list(origin);
      }
      try (FileSystem jar = FileSystems.newFileSystem(origin)) {
        return list(jar.getPath("/"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> list(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root.resolve("schemas"))) {
      return files
          .filter(path -> path.toString().endsWith(".avsc"))
          .map(path -> "/" + root.relativize(path).toString().replace('\\', '/'))
          .sorted()
          .toList();
    }
  }
}
