package org.fusekicdc.sink.kafka;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequiredAcksException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a dataset's patches to one partition of a Kafka topic: the partition its key (the
 * dataset name) maps to under Kafka's default rule, so every patch of the dataset is in one
 * ordered log.
 * <p>
 * Exactly once: the producer is idempotent ({@code enable.idempotence=true}, {@code acks=all}),
 * and {@link #deliver} returns only once every record of the patch is acknowledged, sending the
 * parts of a large patch one after another, so that the partition only ever holds whole
 * patches in version order, each possibly preceded by an interrupted first part of itself
 * (parts 0..k). {@link #open} reads the partition's last patch record and reports its
 * version, or the version before it when that record is not the last part of its patch,
 * so the runner resumes exactly after what the topic holds. With {@code transactional} each
 * patch is one Kafka transaction and {@code read_committed} consumers only ever see whole
 * patches.
 * <p>
 * Record: key = dataset name (UTF-8), value = the patch (or one part of it) in text or
 * binary RDF Patch, headers = {@link PatchMessages} headers as UTF-8.
 */
public final class KafkaSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** First window of records read back from the end of the partition at start-up. */
    private static final int TAIL_WINDOW = 8;
    /** How far back start-up looks for the dataset's last record in a topic shared with other datasets. */
    private static final int TAIL_SCAN_LIMIT = 10_000;

    private final KafkaSinkConfig config;
    private final Path workDir;
    private final byte[] key;
    private KafkaProducer<byte[], byte[]> producer;
    private TopicPartition partition;
    private boolean inTransaction;
    private boolean loggedConfig;

    public KafkaSink(KafkaSinkConfig config, Path workDir) {
        this.config = config;
        this.workDir = workDir;
        this.key = config.dataset().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String name() {
        return config.sink();
    }

    public KafkaSinkConfig config() {
        return config;
    }

    /** The partition of the topic a key goes to under Kafka's default partitioner. */
    public static int partitionFor(byte[] key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    /** The partition this sink writes to, once open. */
    public TopicPartition partition() {
        return partition;
    }

    @Override
    public long open() throws SinkException {
        close();
        String step = "connect to " + config.bootstrapServers();
        try {
            int partitions;
            Admin admin = Admin.create(adminConfig());
            try {
                step = "find or create topic " + config.topic();
                partitions = ensureTopic(admin);
                checkTopicConfig(admin);
            } finally {
                admin.close(CLOSE_TIMEOUT);
            }
            partition = new TopicPartition(config.topic(), partitionFor(key, partitions));
            Map<String, Object> pc = producerConfig();
            producer = new KafkaProducer<>(pc);
            if ( config.transactional() ) {
                // Fences off any earlier producer of this sink and aborts its open transaction,
                // so the read below sees exactly what was committed.
                step = "initialise transactions (transactional.id " + config.transactionalId() + ")";
                producer.initTransactions();
            }
            step = "read the last record of " + partition;
            long last = lastVersionInPartition();
            String there = last == UNKNOWN ? "unknown (none of this dataset's records left to read), continuing from the sink's cursor" : Long.toString(last);
            if ( loggedConfig ) {
                LOG.info("Dataset '{}': Kafka sink '{}' open: topic {} partition {}, last version there {}", config.dataset(), config.sink(),
                         config.topic(), partition.partition(), there);
            } else {
                LOG.info("Dataset '{}': Kafka sink '{}' open: topic {} partition {}, last version there {}; producer settings {}", config.dataset(),
                         config.sink(), config.topic(), partition.partition(), there, KafkaSinkConfig.masked(pc));
                loggedConfig = true;
            }
            return last;
        } catch (SinkException ex) {
            close();
            throw ex;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            close();
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': interrupted while trying to " + step, ex);
        } catch (Exception ex) {
            close();
            throw classify(ex, "cannot " + step);
        }
    }

    /** The topic's partition count, after creating the topic if allowed and needed. */
    private int ensureTopic(Admin admin) throws Exception {
        long timeout = config.sendTimeout().toMillis();
        long deadline = System.currentTimeMillis() + timeout;
        boolean created = false;
        while ( true ) {
            try {
                TopicDescription d = admin.describeTopics(List.of(config.topic())).topicNameValues().get(config.topic())
                                          .get(timeout, TimeUnit.MILLISECONDS);
                return d.partitions().size();
            } catch (ExecutionException ex) {
                if ( !(ex.getCause() instanceof UnknownTopicOrPartitionException) )
                    throw ex;
                if ( created ) {
                    // Metadata of a topic just created takes a moment to reach every broker.
                    if ( System.currentTimeMillis() > deadline )
                        throw ex;
                    Thread.sleep(100);
                    continue;
                }
                if ( !config.createTopic() )
                    throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': topic " + config.topic() + " does not exist and cdc:"
                                                         + KafkaSinkConfig.CREATE_TOPIC.name() + " is false. Create the topic (one partition is enough)"
                                                         + " or set cdc:" + KafkaSinkConfig.CREATE_TOPIC.name() + " true; retrying until it exists", null);
                NewTopic t = new NewTopic(config.topic(), java.util.Optional.of(1), config.replicationFactor());
                try {
                    admin.createTopics(List.of(t)).all().get(timeout, TimeUnit.MILLISECONDS);
                    LOG.info("Dataset '{}': Kafka sink '{}' created topic {} (1 partition, replication factor {})", config.dataset(), config.sink(),
                             config.topic(), config.replicationFactor().map(String::valueOf).orElse("of the broker's default"));
                } catch (ExecutionException cex) {
                    if ( !(cex.getCause() instanceof TopicExistsException) )
                        throw cex;
                }
                created = true;
            }
        }
    }

    /**
     * Refuse a compacted topic (it would keep only the dataset's latest record); warn when the
     * topic cannot take a record as large as the sink may send.
     */
    private void checkTopicConfig(Admin admin) throws InterruptedException, SinkException {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, config.topic());
        try {
            Config c = admin.describeConfigs(List.of(r)).all().get(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS).get(r);
            if ( c == null )
                return;
            ConfigEntry policy = c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if ( policy != null && policy.value() != null && policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT) )
                throw SinkException.permanentSinkFailure("Kafka sink '" + config.sink() + "': topic " + config.topic() + " has cleanup.policy="
                                                         + policy.value() + ": compaction keeps only the latest record of each key, and every patch"
                                                         + " of dataset '" + config.dataset() + "' has the same key. Set the topic's cleanup.policy"
                                                         + " to delete, or point cdc:" + KafkaSinkConfig.TOPIC.name() + " at another topic", null);
            ConfigEntry e = c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if ( e == null || e.value() == null )
                return;
            long limit = Long.parseLong(e.value());
            long needed = (long)config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES;
            if ( limit < needed )
                LOG.warn("Dataset '{}': Kafka sink '{}': topic {} accepts records of at most {} bytes (max.message.bytes) but cdc:{} is {}:"
                         + " a patch larger than about {} bytes will be refused. Raise the topic's max.message.bytes to at least {}{}.",
                         config.dataset(), config.sink(), config.topic(), limit, KafkaSinkConfig.MAX_MESSAGE_BYTES.name(), config.maxMessageBytes(),
                         limit, needed, limit - KafkaSinkConfig.RECORD_OVERHEAD_BYTES >= 1024
                             ? ", or lower cdc:" + KafkaSinkConfig.MAX_MESSAGE_BYTES.name() + " to at most " + (limit - KafkaSinkConfig.RECORD_OVERHEAD_BYTES)
                             : "");
        } catch (ExecutionException | java.util.concurrent.TimeoutException | NumberFormatException ex) {
            // Only a check: without DESCRIBE_CONFIGS rights, delivery reports a size problem itself.
            LOG.debug("Dataset '{}': Kafka sink '{}': cannot read the configuration of topic {}: {}", config.dataset(), config.sink(), config.topic(),
                      ex.toString());
        }
    }

    /**
     * The version of the last patch record of this dataset in the partition: the last record's
     * version if it completes its patch, the one before otherwise; 0 if the partition never held
     * one; {@link #UNKNOWN} if records were removed by retention and none of ours is left.
     */
    private long lastVersionInPartition() throws SinkException, InterruptedException {
        long deadline = System.currentTimeMillis() + config.sendTimeout().toMillis();
        Duration timeout = config.sendTimeout();
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig("tail"));
        try {
            consumer.assign(List.of(partition));
            long begin = consumer.beginningOffsets(List.of(partition), timeout).get(partition);
            // read_committed: the end is the last stable offset, past any transaction still open.
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long upper = end;
            long window = TAIL_WINDOW;
            while ( upper > begin ) {
                long from = Math.max(begin, upper - window);
                consumer.seek(partition, from);
                ConsumerRecord<byte[], byte[]> found = null;
                while ( consumer.position(partition, timeout) < upper ) {
                    if ( System.currentTimeMillis() > deadline )
                        throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': reading the end of " + partition + " (offsets " + from
                                                             + ".." + upper + ") did not finish within " + timeout.toSeconds() + " s (cdc:"
                                                             + KafkaSinkConfig.SEND_TIMEOUT_SECONDS.name() + ")", null);
                    for ( ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(partition) ) {
                        if ( r.offset() < upper && isOurs(r) )
                            found = r;
                    }
                }
                if ( found != null )
                    return resumeVersion(found);
                if ( end - from >= TAIL_SCAN_LIMIT ) {
                    LOG.warn("Dataset '{}': Kafka sink '{}': none of the last {} records of {} is a patch of this dataset (the topic is shared with"
                             + " other datasets); continuing from the sink's cursor, which may repeat the last few patches. Give the dataset a topic"
                             + " of its own to avoid this.", config.dataset(), config.sink(), end - from, partition);
                    return UNKNOWN;
                }
                upper = from;
                window *= 4;
            }
            // Nothing of ours: an empty partition, or one whose records retention removed.
            return begin == 0 ? 0 : UNKNOWN;
        } finally {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
    }

    private boolean isOurs(ConsumerRecord<byte[], byte[]> r) {
        return r.headers().lastHeader(PatchMessages.VERSION) != null && java.util.Arrays.equals(key, r.key());
    }

    private long resumeVersion(ConsumerRecord<byte[], byte[]> r) throws SinkException {
        try {
            long version = Long.parseLong(header(r, PatchMessages.VERSION));
            String seg = header(r, PatchMessages.PART);
            String segs = header(r, PatchMessages.PARTS);
            if ( seg != null && segs != null && Long.parseLong(seg) < Long.parseLong(segs) - 1 ) {
                LOG.info("Dataset '{}': Kafka sink '{}': the last record in {} is part {} of {} of version {}; sending that version again, whole",
                         config.dataset(), config.sink(), partition, seg, segs, version);
                return version - 1;
            }
            return version;
        } catch (NumberFormatException ex) {
            throw SinkException.permanentSinkFailure("Kafka sink '" + config.sink() + "': the record at offset " + r.offset() + " of " + partition
                                                     + " has a malformed fuseki-cdc header (" + ex.getMessage() + "). The topic holds records that are"
                                                     + " not fuseki-cdc patches under this dataset's key; point cdc:" + KafkaSinkConfig.TOPIC.name()
                                                     + " at a topic of its own", ex);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        if ( producer == null )
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "' is not open", null);
        if ( config.transactional() )
            deliverInTransaction(patch);
        else
            deliverInOrder(patch);
    }

    /** One part at a time, each acknowledged before the next, so a failure leaves at most a first part of the patch. */
    private void deliverInOrder(PatchRecord patch) throws SinkException {
        PatchMessages.parts(patch, config.contentType(), config.maxMessageBytes(), workDir, (headers, value) -> {
            Future<RecordMetadata> f = send(patch, headers, value);
            await(f, patch, headers);
        });
    }

    /** All parts in one transaction: consumers reading committed records see the whole patch or nothing. */
    private void deliverInTransaction(PatchRecord patch) throws SinkException {
        try {
            producer.beginTransaction();
            inTransaction = true;
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            List<Map<String, String>> sentHeaders = new ArrayList<>();
            PatchMessages.parts(patch, config.contentType(), config.maxMessageBytes(), workDir, (headers, value) -> {
                Future<RecordMetadata> f = send(patch, headers, value);
                if ( f.isDone() )
                    await(f, patch, headers);
                sent.add(f);
                sentHeaders.add(headers);
            });
            for ( int i = 0 ; i < sent.size() ; i++ )
                await(sent.get(i), patch, sentHeaders.get(i));
            producer.commitTransaction();
            inTransaction = false;
        } catch (SinkException ex) {
            abortQuietly();
            throw ex;
        } catch (Exception ex) {
            abortQuietly();
            throw classify(ex, "version " + patch.version() + " could not be committed in a Kafka transaction");
        }
    }

    private Future<RecordMetadata> send(PatchRecord patch, Map<String, String> headers, byte[] value) throws SinkException {
        RecordHeaders rh = new RecordHeaders();
        headers.forEach((k, v) -> rh.add(k, v.getBytes(StandardCharsets.UTF_8)));
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(partition.topic(), partition.partition(), key, value, rh);
        try {
            return producer.send(rec);
        } catch (Exception ex) {
            throw classify(ex, "version " + patch.version() + partText(headers) + " could not be sent");
        }
    }

    private void await(Future<RecordMetadata> f, PatchRecord patch, Map<String, String> headers) throws SinkException {
        long waitMs = config.sendTimeout().toMillis() + 5_000;
        try {
            f.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': interrupted while waiting for version " + patch.version()
                                                 + " to be acknowledged", ex);
        } catch (java.util.concurrent.TimeoutException ex) {
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': version " + patch.version() + partText(headers)
                                                 + " was not acknowledged by " + partition + " within " + waitMs / 1000 + " s", ex);
        } catch (ExecutionException ex) {
            throw classify(ex.getCause(), "version " + patch.version() + partText(headers) + " was not accepted by " + partition);
        }
    }

    private static String partText(Map<String, String> headers) {
        String n = headers.get(PatchMessages.PARTS);
        return n == null || n.equals("1") ? "" : " (part " + headers.get(PatchMessages.PART) + " of " + n + ")";
    }

    private void abortQuietly() {
        if ( !inTransaction || producer == null )
            return;
        inTransaction = false;
        try {
            producer.abortTransaction();
        } catch (RuntimeException ex) {
            // The producer is unusable; the next open() starts a new one, whose initTransactions aborts what is left.
            LOG.debug("Dataset '{}': Kafka sink '{}': abort failed ({}); closing the producer", config.dataset(), config.sink(), ex.toString());
            closeProducer();
        }
    }

    /**
     * Sort a failure: patch-specific refusals are permanent (the patch may go to the dead-letter
     * directory), refusals of the sink as a whole (rights, credentials, configuration, another
     * producer) are permanent for the sink (it pauses), and the rest is transient (retried).
     */
    SinkException classify(Throwable t, String what) {
        Throwable c = unwrap(t);
        String cause = c instanceof java.util.concurrent.TimeoutException
            ? "no answer from " + config.bootstrapServers() + " within " + config.sendTimeout().toSeconds() + " s (cdc:"
              + KafkaSinkConfig.SEND_TIMEOUT_SECONDS.name() + ")"
            : c.toString();
        while ( cause.endsWith(".") )
            cause = cause.substring(0, cause.length() - 1);
        String prefix = "Kafka sink '" + config.sink() + "' (topic " + config.topic() + "): " + what + ": " + cause;
        if ( c instanceof SinkException se )
            return se;
        if ( c instanceof RecordTooLargeException || c instanceof RecordBatchTooLargeException )
            return SinkException.permanentFailure(prefix + ". Raise the topic's max.message.bytes (and the brokers' message.max.bytes) to at least cdc:"
                                                  + KafkaSinkConfig.MAX_MESSAGE_BYTES.name() + " (" + config.maxMessageBytes() + ") plus "
                                                  + KafkaSinkConfig.RECORD_OVERHEAD_BYTES + ", or lower cdc:" + KafkaSinkConfig.MAX_MESSAGE_BYTES.name(), c);
        if ( c instanceof TransactionalIdAuthorizationException )
            return SinkException.permanentSinkFailure(prefix + ". Grant the sink's principal WRITE and DESCRIBE on transactional id "
                                                      + config.transactionalId() + ", or set cdc:" + KafkaSinkConfig.TRANSACTIONAL.name() + " false", c);
        if ( c instanceof AuthorizationException )
            return SinkException.permanentSinkFailure(prefix + ". Grant the sink's principal WRITE and DESCRIBE on topic " + config.topic()
                                                      + (config.createTopic() ? " (and CREATE, or create the topic beforehand)" : "")
                                                      + ", and IDEMPOTENT_WRITE on the cluster for brokers older than 2.8", c);
        if ( c instanceof AuthenticationException )
            return SinkException.permanentSinkFailure(prefix + ". Check the security settings (security.protocol, sasl.*, ssl.*) in cdc:"
                                                      + KafkaSinkConfig.PRODUCER_PROPERTIES.name(), c);
        if ( c instanceof ProducerFencedException )
            return SinkException.permanentSinkFailure(prefix + ". Another producer with transactional id " + config.transactionalId()
                                                      + " started: two servers are publishing dataset '" + config.dataset() + "' through sink '"
                                                      + config.sink() + "'. Stop one of them, then resume this sink", c);
        if ( c instanceof ConfigException || c instanceof InvalidConfigurationException || c instanceof InvalidTopicException
             || c instanceof InvalidReplicationFactorException || c instanceof PolicyViolationException || c instanceof InvalidRequiredAcksException
             || c instanceof UnsupportedVersionException )
            return SinkException.permanentSinkFailure(prefix + ". Fix the sink's settings (cdc:" + KafkaSinkConfig.PRODUCER_PROPERTIES.name()
                                                      + ", cdc:" + KafkaSinkConfig.REPLICATION_FACTOR.name() + ") or the broker's, then resume the sink", c);
        return SinkException.transientFailure(prefix, c);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ( (c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException
                 || (c instanceof KafkaException && c.getClass() == KafkaException.class)) && c.getCause() != null )
            c = c.getCause();
        return c;
    }

    Map<String, Object> producerConfig() {
        Map<String, Object> p = new HashMap<>();
        long sendMs = config.sendTimeout().toMillis();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "fuseki-cdc-" + config.dataset() + "-" + config.sink());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Math.max(1_048_576, config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES)));
        long buffer = 2L * (config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES);
        if ( buffer > 32L * 1024 * 1024 )
            p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(buffer));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(sendMs));
        // The sink waits for each patch's acknowledgement before sending the next, so lingering
        // (Kafka 4's default is 5 ms) batches nothing and only adds latency to every patch.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.putAll(asMap(config.producerProperties()));
        // The producer's own give-up time must end within the sink's, so a send reported as
        // failed is no longer in flight when the sink retries.
        long linger = Long.parseLong(String.valueOf(p.get(ProducerConfig.LINGER_MS_CONFIG)).trim());
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(sendMs));
        long delivery = Long.parseLong(String.valueOf(p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).trim());
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(30_000, delivery - linger)));
        if ( config.transactional() )
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
        return p;
    }

    private Map<String, Object> adminConfig() {
        Map<String, Object> a = shared(AdminClientConfig.configNames());
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, "fuseki-cdc-" + config.dataset() + "-" + config.sink() + "-admin");
        a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)config.sendTimeout().toMillis());
        a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int)Math.min(30_000, config.sendTimeout().toMillis()));
        return a;
    }

    Map<String, Object> consumerConfig(String role) {
        Map<String, Object> c = shared(ConsumerConfig.configNames());
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "fuseki-cdc-" + config.dataset() + "-" + config.sink() + "-" + role);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)config.sendTimeout().toMillis());
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int)Math.min(30_000, config.sendTimeout().toMillis()));
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return c;
    }

    /** The producer properties that also mean something to another client (security, networking). */
    private Map<String, Object> shared(java.util.Set<String> names) {
        Map<String, Object> m = new HashMap<>();
        asMap(config.producerProperties()).forEach((k, v) -> {
            if ( names.contains(k) )
                m.put(k, v);
        });
        return m;
    }

    private static Map<String, Object> asMap(java.util.Properties p) {
        Map<String, Object> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    private void closeProducer() {
        KafkaProducer<byte[], byte[]> p = producer;
        producer = null;
        inTransaction = false;
        if ( p == null )
            return;
        try {
            p.close(CLOSE_TIMEOUT);
        } catch (RuntimeException ex) {
            LOG.debug("Dataset '{}': Kafka sink '{}': closing the producer: {}", config.dataset(), config.sink(), ex.toString());
        }
    }

    @Override
    public void close() {
        closeProducer();
    }

    @Override
    public String toString() {
        return "KafkaSink[" + config.sink() + " -> " + config.topic() + " @ " + config.bootstrapServers() + "]";
    }
}
