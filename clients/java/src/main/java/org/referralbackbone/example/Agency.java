package org.referralbackbone.example;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One agency's login to the backbone's Kafka (CONTRACT.md, "Onboarding an agency system"):
 * SASL/SCRAM-SHA-256 as the agency, its own intake topic keyed by case id, its inbox and
 * rejection topics read in consumer groups named {@code <prefix>.agency.<agency>.*}.
 */
final class Agency implements AutoCloseable {
  final String id;
  private final String prefix;
  private final Properties login = new Properties();
  private KafkaProducer<String, byte[]> producer;
  private final List<KafkaConsumer<String, byte[]>> consumers = new ArrayList<>();

  /** From the operator's handover: bootstrap, protocol, prefix and the credentials file. */
  Agency(JsonNode config, JsonNode credentials) {
    id = credentials.get("agency").asText();
    prefix = config.get("topic_prefix").asText();
    login.put("bootstrap.servers", config.get("bootstrap_servers").asText());
    login.put("security.protocol", config.get("security_protocol").asText());
    login.put("sasl.mechanism", "SCRAM-SHA-256");
    login.put("sasl.jaas.config", String.format(
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"%s\" password=\"%s\";",
        id, credentials.get("password").asText()));
    if (config.hasNonNull("ssl_cafile")) { // SASL_SSL: the operator's CA certificate, PEM
      login.put("ssl.truststore.type", "PEM");
      login.put("ssl.truststore.location", config.get("ssl_cafile").asText());
    }
  }

  /** Publishes one encoded step on the intake topic and waits for the broker's acknowledgement. */
  void publish(String caseId, byte[] message) throws InterruptedException {
    if (producer == null) {
      Properties props = (Properties) login.clone();
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
    try {
      producer.send(new ProducerRecord<>(prefix + ".intake." + id, caseId, message))
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the broker did not take the submission", e);
    }
  }

  KafkaConsumer<String, byte[]> reader(String kind) {
    Properties props = (Properties) login.clone();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + ".agency." + id + "." + kind);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(prefix + "." + kind + "." + id));
    consumers.add(consumer);
    return consumer;
  }

  /** What arrived until {@code until}; offsets are committed once the values are in hand. */
  static List<byte[]> poll(KafkaConsumer<String, byte[]> consumer, Instant until) {
    List<byte[]> values = new ArrayList<>();
    Duration left = Duration.between(Instant.now(), until);
    if (!left.isNegative()) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(left.compareTo(Duration.ofMillis(500)) < 0 ? left : Duration.ofMillis(500))) {
        values.add(r.value());
      }
    }
    if (!values.isEmpty()) {
      consumer.commitSync();
    }
    return values;
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
    consumers.forEach(consumer -> consumer.close(Duration.ofSeconds(10)));
  }
}
