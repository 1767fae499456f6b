package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.sink.kinesis.KinesisSinkProvider;
import org.fusekicdc.sink.kinesis.KinesisStreamReaderProvider;
import org.fusekicdc.sink.kafka.KafkaPatchReader;
import org.fusekicdc.sink.kafka.KafkaSinkProvider;
import org.fusekicdc.sink.kafka.TestBroker;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.fusekicdc.sink.nats.NatsSinkProvider;
import org.fusekicdc.sink.pulsar.PulsarSinkProvider;
import org.fusekicdc.sink.pulsar.PulsarTopicReaderProvider;
import org.fusekicdc.sink.redis.RedisSinkProvider;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The brokers of {@link SinkDeliveryBench}: for each, a sink with the benchmark's options and a
 * consumer that notes when each version arrives. Closing deletes the NATS streams it made and
 * stops the Kafka broker.
 */
final class SinkDestinations implements AutoCloseable {
    static final String PULSAR_URL = System.getenv().getOrDefault("PULSAR_URL", "pulsar://127.0.0.1:6650");
    static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
    static final String KINESIS_ENDPOINT_VARIABLE = "KINESIS_ENDPOINT";
    static final String KINESIS_ENDPOINT = System.getenv().getOrDefault(KINESIS_ENDPOINT_VARIABLE, "http://127.0.0.1:4568");
    static final String REDIS_URL = System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379");

    private final String format;
    private final boolean cloudEvents;
    private final String kafkaProducerProperties;
    private TestBroker kafka;
    private Connection nats;
    private final List<String> natsStreams = new ArrayList<>();

    SinkDestinations(String format, boolean cloudEvents, String kafkaProducerProperties) {
        this.format = format;
        this.cloudEvents = cloudEvents;
        this.kafkaProducerProperties = kafkaProducerProperties;
    }

    /** The broker named by {@code KAFKA_BOOTSTRAP_SERVERS}, else one in this JVM. */
    TestBroker startKafka() throws Exception {
        kafka = TestBroker.obtain();
        return kafka;
    }

    Connection connectNats() throws Exception {
        nats = Nats.connect(new io.nats.client.Options.Builder().server(NATS_URL).connectionTimeout(Duration.ofSeconds(5))
                                                               .errorListener(new io.nats.client.ErrorListener() {}).build());
        return nats;
    }

    /** The connection {@link #connectNats} made. */
    Connection nats() {
        return nats;
    }

    /** A sink and a consumer of what it publishes. */
    interface Destination extends AutoCloseable {
        Sink sink();

        Consumer consumer(long[] received) throws Exception;

        @Override
        void close();
    }

    /** Notes the arrival time of each version in {@code received[version - firstVersion + 1]}, on a thread of its own. */
    abstract static class Consumer {
        final long[] received;
        final AtomicLong lastVersion = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Consumer(long[] received, String name) {
            this.received = received;
            this.thread = new Thread(() -> {
                try {
                    loop();
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    try {
                        closeReader();
                    } catch (Exception ex) {
                        // ignore
                    }
                }
            }, name);
            this.thread.setDaemon(true);
        }

        abstract void loop() throws Exception;

        abstract void closeReader() throws Exception;

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }

        void note(long version, long now) {
            long prev = lastVersion.get();
            if ( version != prev + 1 && prev != 0 )
                throw new IllegalStateException("Consumer: version " + version + " after " + prev);
            int idx = (int)version;
            if ( idx < received.length )
                received[idx] = now;
            lastVersion.set(version);
        }
    }

    Destination destination(String broker, String dataset, Path dir) throws Exception {
        return switch (broker) {
            case "kafka" -> kafkaDestination(dataset, dir);
            case "nats" -> natsDestination(dataset, dir);
            case "redis" -> redisDestination(dataset, dir);
            case "pulsar" -> pulsarDestination(dataset, dir);
            case "kinesis" -> kinesisDestination(dataset, dir);
            default -> throw new IllegalArgumentException("bench.brokers: unknown broker " + broker + " (kafka, nats, redis, pulsar, kinesis)");
        };
    }

    private Destination kafkaDestination(String dataset, Path dir) throws Exception {
        String topic = "bench." + dataset;
        kafka.createTopic(topic, Map.of());
        Map<String, String> opts = new HashMap<>();
        opts.put("bootstrapServers", kafka.bootstrapServers());
        opts.put("topic", topic);
        opts.put("format", format);
        opts.put("cloudEvents", Boolean.toString(cloudEvents));
        if ( !kafkaProducerProperties.isEmpty() )
            opts.put("producerProperties", kafkaProducerProperties.replace(';', '\n'));
        Sink sink = new KafkaSinkProvider().create(dataset, new OptionValues("kafka", opts), dir.resolve("sink-work"));
        return new Destination() {
            @Override
            public Sink sink() {
                return sink;
            }

            @Override
            public Consumer consumer(long[] received) {
                KafkaPatchReader reader = new KafkaPatchReader(new HashMap<>(kafka.clientProperties()), topic, dataset, 0, dir.resolve("reader"));
                return new Consumer(received, "bench-kafka-consumer") {
                    @Override
                    void loop() {
                        while ( !stop.get() ) {
                            List<PatchReassembler.Patch> got = reader.poll(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            for ( PatchReassembler.Patch p : got ) {
                                note(p.version(), now);
                                p.close();
                            }
                        }
                    }

                    @Override
                    void closeReader() {
                        reader.close();
                    }
                };
            }

            @Override
            public void close() {
                if ( kafka.embedded() )
                    return;
                try (var admin = kafka.admin()) {
                    admin.deleteTopics(List.of(topic)).all().get();
                } catch (Exception ex) {
                    System.out.println("Could not delete topic " + topic + ": " + ex);
                }
            }
        };
    }

    private Destination natsDestination(String dataset, Path dir) throws Exception {
        String stream = ("BENCH_" + dataset).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
        String subject = "bench." + dataset;
        JetStreamManagement jsm = nats.jetStreamManagement();
        // Made here, as the sink would make it, so that the consumer can start before the sink.
        jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.File)
                                         .duplicateWindow(Duration.ofSeconds(120)).build());
        natsStreams.add(stream);
        Map<String, String> opts = Map.of("url", NATS_URL, "stream", stream, "subject", subject, "format", format, "cloudEvents",
                                          Boolean.toString(cloudEvents));
        Sink sink = new NatsSinkProvider().create(dataset, new OptionValues("nats", opts), dir.resolve("sink-work"));
        return new Destination() {
            @Override
            public Sink sink() {
                return sink;
            }

            @Override
            public Consumer consumer(long[] received) throws Exception {
                NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, Files.createDirectories(dir.resolve("reader")));
                return new Consumer(received, "bench-nats-consumer") {
                    @Override
                    void loop() throws Exception {
                        while ( !stop.get() ) {
                            var p = reader.next(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            if ( p.isPresent() )
                                note(p.get().version(), now);
                        }
                    }

                    @Override
                    void closeReader() {
                        reader.close();
                    }
                };
            }

            @Override
            public void close() {}
        };
    }

    private static Jedis redis() {
        java.net.URI u = java.net.URI.create(REDIS_URL);
        return new Jedis(new HostAndPort(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()));
    }

    private Destination redisDestination(String dataset, Path dir) {
        String stream = "bench:" + dataset;
        Map<String, String> opts = Map.of("url", REDIS_URL, "streamKey", stream, "format", format);
        Sink sink = new RedisSinkProvider().create(dataset, new OptionValues("redis", opts), dir.resolve("sink-work"));
        return new Destination() {
            @Override
            public Sink sink() {
                return sink;
            }

            @Override
            public Consumer consumer(long[] received) {
                Jedis jedis = redis();
                return new Consumer(received, "bench-redis-consumer") {
                    @Override
                    void loop() {
                        StreamEntryID from = new StreamEntryID();
                        while ( !stop.get() ) {
                            var got = jedis.xread(XReadParams.xReadParams().block(100).count(1000), Map.of(stream, from));
                            long now = System.nanoTime();
                            if ( got == null )
                                continue;
                            for ( var e : got ) {
                                for ( StreamEntry entry : e.getValue() ) {
                                    note(Long.parseLong(entry.getFields().get("version")), now);
                                    from = entry.getID();
                                }
                            }
                        }
                    }

                    @Override
                    void closeReader() {
                        jedis.close();
                    }
                };
            }

            @Override
            public void close() {
                try (Jedis j = redis()) {
                    j.del(stream, stream + ":version");
                } catch (RuntimeException ex) {
                    System.out.println("Could not delete Redis keys " + stream + ": " + ex);
                }
            }
        };
    }

    /**
     * The physical limit beside a sink: a plain client writing {@code values} (the bytes the sink
     * sends) to a fresh topic, subject or stream of its own, as fast as the client goes with
     * acknowledgements on (Kafka: idempotent producer, acks=all, the sink's batch size;
     * JetStream: async publishes, at most 32 MB unacknowledged; Redis: XADD in pipelines of
     * 500). Returns the seconds from the first send to the last acknowledgement.
     */
    double plainPublish(String broker, String name, List<byte[]> values) throws Exception {
        return switch (broker) {
            case "kafka" -> plainKafka(name, values);
            case "nats" -> plainNats(name, values);
            case "redis" -> plainRedis(name, values);
            // The bench has the Pulsar sink as shipped, its client relocated inside: no plain Pulsar client to compare with.
            case "pulsar" -> Double.NaN;
            // Throughput against a local implementation of the Kinesis API says little of the service: no plain client either.
            case "kinesis" -> Double.NaN;
            default -> throw new IllegalArgumentException("bench.brokers: unknown broker " + broker);
        };
    }

    private double plainKafka(String name, List<byte[]> values) throws Exception {
        String topic = "bench.plain." + name;
        kafka.createTopic(topic, Map.of());
        Map<String, Object> p = new HashMap<>(kafka.clientProperties());
        p.put("key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        p.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.put("linger.ms", "0");
        p.put("batch.size", "1048576");
        p.put("max.request.size", "2097152");
        byte[] key = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(p)) {
            long t0 = System.nanoTime();
            java.util.concurrent.Future<?> last = null;
            for ( byte[] v : values )
                last = producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, key, v));
            producer.flush();
            last.get();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private double plainNats(String name, List<byte[]> values) throws Exception {
        String stream = ("BENCH_PLAIN_" + name).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
        String subject = "bench.plain." + name;
        nats.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.File).build());
        natsStreams.add(stream);
        io.nats.client.JetStream js = nats.jetStream();
        java.util.ArrayDeque<java.util.concurrent.CompletableFuture<io.nats.client.api.PublishAck>> pending = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Integer> sizes = new java.util.ArrayDeque<>();
        long bytes = 0;
        long t0 = System.nanoTime();
        for ( byte[] v : values ) {
            while ( bytes + v.length > 32L * 1024 * 1024 && !pending.isEmpty() ) {
                pending.poll().get();
                bytes -= sizes.poll();
            }
            pending.add(js.publishAsync(subject, v));
            sizes.add(v.length);
            bytes += v.length;
        }
        for ( var f : pending )
            f.get();
        return (System.nanoTime() - t0) / 1e9;
    }

    private double plainRedis(String name, List<byte[]> values) {
        byte[] stream = ("bench:plain:" + name).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] field = "patch".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Jedis j = redis()) {
            long t0 = System.nanoTime();
            for ( int from = 0 ; from < values.size() ; from += 500 ) {
                redis.clients.jedis.Pipeline pl = j.pipelined();
                for ( byte[] v : values.subList(from, Math.min(values.size(), from + 500)) )
                    pl.xadd(stream, redis.clients.jedis.params.XAddParams.xAddParams(), Map.of(field, v));
                pl.sync();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            j.del(stream);
            return s;
        }
    }

    private Destination pulsarDestination(String dataset, Path dir) {
        String topic = "persistent://public/default/bench-" + dataset;
        Map<String, String> opts = Map.of("url", PULSAR_URL, "topic", topic, "format", format);
        Sink sink = new PulsarSinkProvider().create(dataset, new OptionValues("pulsar", opts), dir.resolve("sink-work"));
        return new Destination() {
            @Override
            public Sink sink() {
                return sink;
            }

            @Override
            public Consumer consumer(long[] received) throws Exception {
                TopicReader reader = new PulsarTopicReaderProvider().create(dataset, OptionValues.forFollower(dataset, Map.of("url", PULSAR_URL, "topic", topic)),
                                                                            Files.createDirectories(dir.resolve("reader")));
                reader.open(0);
                return new Consumer(received, "bench-pulsar-consumer") {
                    @Override
                    void loop() throws Exception {
                        while ( !stop.get() ) {
                            var in = reader.poll(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            if ( in.isPresent() && in.get() instanceof TopicReader.PatchMessage m ) {
                                note(m.patch().version(), now);
                                m.patch().close();
                            } else if ( in.isPresent() ) {
                                throw new IllegalStateException("Consumer: not a patch: " + in.get());
                            }
                        }
                    }

                    @Override
                    void closeReader() {
                        reader.close();
                    }
                };
            }

            @Override
            public void close() {}
        };
    }

    /**
     * A stream of its own at {@value #KINESIS_ENDPOINT_VARIABLE} (a local Kinesis implementation, see
     * docs/benchmarks.md), made by the sink; read with the follower's reader. Without AWS
     * credentials in the environment the SDK gets placeholder ones, which a local implementation accepts.
     */
    private Destination kinesisDestination(String dataset, Path dir) {
        if ( System.getenv("AWS_ACCESS_KEY_ID") == null && System.getProperty("aws.accessKeyId") == null ) {
            System.setProperty("aws.accessKeyId", "bench");
            System.setProperty("aws.secretAccessKey", "bench");
        }
        Map<String, String> opts = new HashMap<>();
        opts.put("endpoint", KINESIS_ENDPOINT);
        opts.put("region", "us-east-1");
        opts.put("streamName", "bench-" + dataset);
        opts.put("createStream", "true");
        opts.put("format", format);
        Sink sink = new KinesisSinkProvider().create(dataset, new OptionValues("kinesis", opts), dir.resolve("sink-work"));
        Map<String, String> readerOpts = Map.of("endpoint", KINESIS_ENDPOINT, "region", "us-east-1", "streamName", "bench-" + dataset);
        return new Destination() {
            @Override
            public Sink sink() {
                return sink;
            }

            @Override
            public Consumer consumer(long[] received) throws Exception {
                // The stream is made by the sink's open: the reader waits for it.
                TopicReader reader = new KinesisStreamReaderProvider().create(dataset, OptionValues.forFollower(dataset, readerOpts), dir.resolve("reader"));
                return new Consumer(received, "bench-kinesis-consumer") {
                    @Override
                    void loop() throws Exception {
                        boolean open = false;
                        while ( !stop.get() ) {
                            if ( !open ) {
                                try {
                                    reader.open(0);
                                    open = true;
                                } catch (software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException notYet) {
                                    Thread.sleep(100);
                                    continue;
                                }
                            }
                            var in = reader.poll(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            if ( in.isPresent() && in.get() instanceof TopicReader.PatchMessage pm ) {
                                note(pm.patch().version(), now);
                                pm.patch().close();
                            }
                        }
                    }

                    @Override
                    void closeReader() {
                        reader.close();
                    }
                };
            }

            @Override
            public void close() {}
        };
    }

    /** Wait until the consumer has {@code version}; false if it has not after {@code timeoutSeconds}. */
    static boolean awaitVersion(Consumer c, long version, double timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long)(timeoutSeconds * 1e9);
        while ( c.lastVersion.get() < version ) {
            if ( c.failure.get() != null )
                throw new IllegalStateException("Consumer failed: " + c.failure.get(), c.failure.get());
            if ( System.nanoTime() > deadline )
                return false;
            Thread.sleep(2);
        }
        return true;
    }

    /** Notes when each patch is handed to the sink and when the sink returns (the broker acknowledged it). */
    record TimedSink(Sink sink, long[] start, long[] end) implements Sink {
        @Override
        public String name() {
            return sink.name();
        }

        @Override
        public long open() throws org.fusekicdc.core.sink.SinkException {
            return sink.open();
        }

        @Override
        public void deliver(org.fusekicdc.core.wire.PatchRecord patch) throws org.fusekicdc.core.sink.SinkException {
            int v = (int)patch.version();
            long t = System.nanoTime();
            sink.deliver(patch);
            if ( v < start.length ) {
                start[v] = t;
                end[v] = System.nanoTime();
            }
        }

        @Override
        public int maxInFlight() {
            return sink.maxInFlight();
        }

        @Override
        public int maxBatch() {
            return sink.maxBatch();
        }

        @Override
        public void deliver(List<org.fusekicdc.core.wire.PatchRecord> patches) throws org.fusekicdc.core.sink.SinkException {
            send(patches).await();
        }

        /** Every patch of a send is noted as handed over when the send began and acknowledged when its await returned. */
        @Override
        public Delivery send(List<org.fusekicdc.core.wire.PatchRecord> patches) throws org.fusekicdc.core.sink.SinkException {
            long t = System.nanoTime();
            Delivery d = sink.send(patches);
            return () -> {
                d.await();
                long e = System.nanoTime();
                for ( var p : patches ) {
                    int v = (int)p.version();
                    if ( v < start.length ) {
                        start[v] = t;
                        end[v] = e;
                    }
                }
            };
        }

        @Override
        public void close() {
            sink.close();
        }
    }

    @Override
    public void close() {
        if ( nats != null ) {
            try {
                JetStreamManagement jsm = nats.jetStreamManagement();
                for ( String s : natsStreams )
                    jsm.deleteStream(s);
                nats.close();
            } catch (Exception ex) {
                System.out.println("Cleaning up NATS streams " + natsStreams + ": " + ex);
            }
        }
        if ( kafka != null )
            kafka.close();
    }
}
