package org.referralbackbone.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * An example agency system, written from events/CONTRACT.md and the .avsc files alone.
 *
 * <pre>
 *   java -jar example-agency.jar keygen KEYFILE       make the inbox key pair, print the public key
 *   java -jar example-agency.jar run CONFIG KEYFILE   report a case with sealed personal data,
 *       refer it, read the inbox and open what is sealed to the agency, decode the rejection of
 *       a duplicate report; print the outcome as JSON
 * </pre>
 *
 * CONFIG is a JSON file of what the operator hands over: bootstrap_servers, security_protocol,
 * topic_prefix, credentials_file, backbone_public_key (and ssl_cafile, a PEM file, with SASL_SSL).
 * The case is fictional. The JSON shows personal data only as a SHA-256 per field: a real system
 * keeps what it opens in its own store, never in its output or logs.
 */
public final class ExampleAgency {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> PERSONAL = new LinkedHashMap<>();

  static {
    PERSONAL.put("child_name", "Đặng Thị Mai");
    PERSONAL.put("child_birth_date", "2013-09-20");
    PERSONAL.put("child_address", "Thôn Phú Thọ, xã Phước Hải");
    PERSONAL.put("child_contact", "");
    PERSONAL.put("reporter_name", "Võ Văn Tâm");
    PERSONAL.put("reporter_contact", "0905 222 333");
  }

  private final Contract contract = new Contract();
  private final Sealing sealing = new Sealing();

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("keygen")) {
      new ExampleAgency().keygen(Path.of(args[1]));
    } else if (args.length == 3 && args[0].equals("run")) {
      new ExampleAgency().run(Path.of(args[1]), Path.of(args[2]));
    } else {
      System.err.println("usage: keygen KEYFILE | run CONFIG KEYFILE");
      System.exit(2);
    }
  }

  /** The private key stays in the file (owner only); the operator registers the public one. */
  void keygen(Path keyfile) throws Exception {
    String[] pair = sealing.keyPair();
    Files.createFile(keyfile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(keyfile, JSON.writeValueAsString(Map.of("public_key", pair[0], "private_key", pair[1])));
    System.out.println(pair[0]);
  }

  void run(Path configFile, Path keyfile) throws Exception {
    JsonNode config = JSON.readTree(configFile.toFile());
    JsonNode credentials = JSON.readTree(Path.of(config.get("credentials_file").asText()).toFile());
    JsonNode keys = JSON.readTree(keyfile.toFile());
    try (Agency agency = new Agency(config, credentials)) {
      ObjectNode outcome = JSON.createObjectNode();
      String caseId = UUID.randomUUID().toString();
      long now = Instant.now().toEpochMilli();

      // 1. The report, personal data sealed to the backbone's public key.
      GenericRecord personal = record("PersonalData", new LinkedHashMap<>(PERSONAL));
      byte[] sealed = sealing.seal(config.get("backbone_public_key").asText(), contract.encode(personal));
      Map<String, Object> report = step(caseId, now);
      report.putAll(Map.of("channel", "police", "forms_of_abuse", List.of("neglect"),
          "setting", "family", "child_sex", "female", "child_age_group", "12-15",
          "province_code", "58", "district_code", "582", "commune_code", "22738", "risk_level", "medium"));
      report.put("personal_data", ByteBuffer.wrap(sealed));
      agency.publish(caseId, contract.encode(record("CaseReported", report)));

      // 2. A later step of the same case: a referral to the hospital.
      Map<String, Object> referral = step(caseId, now);
      referral.putAll(Map.of("referral_id", "r-1", "to_agency", "hospital-khanh-hoa", "service", "medical"));
      agency.publish(caseId, contract.encode(record("ReferralSent", referral)));

      // 3. The same case reported again under a new submission id: the backbone rejects it.
      report.put("submission_id", UUID.randomUUID().toString());
      report.put("personal_data", ByteBuffer.allocate(0));
      byte[] duplicate = contract.encode(record("CaseReported", report));
      agency.publish(caseId, duplicate);

      outcome.put("reported_case", caseId);
      outcome.set("sent_personal_data", fingerprints(PERSONAL));
      readInboxAndRejection(agency, keys, duplicate, outcome);
      System.out.println(JSON.writeValueAsString(outcome));
    }
  }

  /** Reads until the inbox brought personal data and a rejection arrived (a minute at most). */
  private void readInboxAndRejection(Agency agency, JsonNode keys, byte[] duplicate, ObjectNode outcome) {
    KafkaConsumer<String, byte[]> inbox = agency.reader("inbox");
    KafkaConsumer<String, byte[]> rejected = agency.reader("rejected");
    ArrayNode items = outcome.putArray("inbox");
    Instant deadline = Instant.now().plusSeconds(60);
    boolean opened = false;
    while (Instant.now().isBefore(deadline) && !(opened && outcome.has("rejection"))) {
      for (byte[] value : Agency.poll(inbox, Instant.now().plusMillis(500))) {
        ObjectNode item = inboxItem(value, keys);
        opened |= item.hasNonNull("personal_data");
        items.add(item);
      }
      for (byte[] value : Agency.poll(rejected, Instant.now().plusMillis(500))) {
        GenericRecord rejection = contract.decode(value);
        ObjectNode seen = outcome.putObject("rejection");
        seen.put("submission_id", rejection.get("submission_id").toString());
        seen.put("reason", rejection.get("reason").toString());
        seen.put("detail", rejection.get("detail").toString());
        seen.put("original_matches_sent", Arrays.equals(bytes(rejection.get("original")), duplicate));
      }
    }
  }

  /** A CaseEvent from the inbox: its step, and the personal data opened with the agency's key. */
  private ObjectNode inboxItem(byte[] value, JsonNode keys) {
    GenericRecord event = contract.decode(value);
    GenericRecord step = contract.decode(bytes(event.get("payload")));
    ObjectNode item = JSON.createObjectNode();
    item.put("case_id", event.get("case_id").toString());
    item.put("event_type", step.getSchema().getName());
    byte[] sealed = bytes(event.get("personal_data"));
    if (sealed.length == 0) {
      item.putNull("personal_data");
      return item;
    }
    byte[] clear = sealing.open(keys.get("public_key").asText(), keys.get("private_key").asText(), sealed);
    GenericRecord personal = contract.decode(clear);
    Map<String, String> fields = new LinkedHashMap<>();
    for (Schema.Field field : personal.getSchema().getFields()) {
      fields.put(field.name(), personal.get(field.name()).toString());
    }
    item.set("personal_data", fingerprints(fields));
    return item;
  }

  /** Each field's SHA-256 (hex of its UTF-8 text): comparable, and nothing in clear. */
  private static ObjectNode fingerprints(Map<String, String> personalData) {
    ObjectNode hashed = JSON.createObjectNode();
    try {
      for (Map.Entry<String, String> field : personalData.entrySet()) {
        byte[] digest = MessageDigest.getInstance("SHA-256")
            .digest(field.getValue().getBytes(StandardCharsets.UTF_8));
        hashed.put(field.getKey(), HexFormat.of().formatHex(digest));
      }
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return hashed;
  }

  private static Map<String, Object> step(String caseId, long occurredAt) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("submission_id", UUID.randomUUID().toString());
    fields.put("case_id", caseId);
    fields.put("occurred_at", occurredAt);
    return fields;
  }

  /** A record of the current schema; fields left out take their defaults. */
  private GenericRecord record(String wireName, Map<String, Object> fields) {
    GenericRecordBuilder builder = new GenericRecordBuilder(contract.schema(wireName));
    fields.forEach((name, value) -> builder.set(name, value instanceof List<?> list
        ? new GenericData.Array<>(contract.schema(wireName).getField(name).schema(), list)
        : value));
    return builder.build();
  }

  private static byte[] bytes(Object value) {
    ByteBuffer buffer = ((ByteBuffer) value).duplicate();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
