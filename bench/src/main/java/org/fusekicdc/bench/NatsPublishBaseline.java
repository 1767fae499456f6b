package org.fusekicdc.bench;

import static org.fusekicdc.bench.DeliveryFigures.f1;
import static org.fusekicdc.bench.DeliveryFigures.f2;
import static org.fusekicdc.bench.DeliveryFigures.pct;
import static org.fusekicdc.bench.DeliveryFigures.stageText;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.sink.nats.NatsPatchReader;

/**
 * The broker's own latency beside the NATS sink's, in the same run: a plain jnats client publishes
 * the messages the sink would send for the latency workload (same bodies and patch headers) at the
 * offered rate, on a fixed schedule, each publish asynchronous (no wait for the one before), into
 * a stream of its own; a consumer in this JVM reads the subject. Reported per variant: publish to
 * acknowledgement and publish to consumer (p50 / p90 / p99 / p99.9 / max), and the CPU the
 * nats-server process and this JVM used meanwhile.
 * <p>
 * The variants change one thing at a time against {@code sink} (what the sink sends when it
 * pipelines: the JetStream guards {@code Nats-Msg-Id}, {@code Nats-Expected-Last-Sequence} and
 * {@code Nats-Expected-Stream}, the client not flushing per request; file storage, a duplicate
 * window of 120 s; read with {@link NatsPatchReader}), so that a slow one names its setting
 * ({@code before}: the sink's guards and flushing before it pipelined with the stream sequence):
 * {@value #VARIANT_NAMES}.
 */
final class NatsPublishBaseline {
    static final String VARIANT_NAMES = "sink, before, bare, msgid, subjseq, memory, memory-before, pull500, push, flush";

    /** One way of publishing and reading. {@code consumerBatch} 0: the sink's reader ({@link NatsPatchReader}); -1: an ordered push consumer. */
    record Variant(String name, String what, StorageType storage, boolean msgId, boolean subjectSeq, boolean streamSeq, int consumerBatch,
                   boolean forceFlush) {}

    static Variant variant(String name) {
        return switch (name) {
            case "sink" -> new Variant(name, "as the sink: msg id + expected last stream sequence + expected stream, no flush per request, file storage,"
                                             + " NatsPatchReader", StorageType.File, true, false, true, 0, false);
            case "before" -> new Variant(name, "as the sink before: msg id + expected last subject sequence + expected stream, flush per request",
                                         StorageType.File, true, true, false, 0, true);
            case "bare" -> new Variant(name, "no JetStream guard headers (patch headers only)", StorageType.File, false, false, false, 0, false);
            case "msgid" -> new Variant(name, "msg id only", StorageType.File, true, false, false, 0, false);
            case "subjseq" -> new Variant(name, "expected last subject sequence (+ expected stream) only", StorageType.File, false, true, false, 0, false);
            case "memory" -> new Variant(name, "as the sink, memory storage", StorageType.Memory, true, false, true, 0, false);
            case "memory-before" -> new Variant(name, "as the sink before, memory storage", StorageType.Memory, true, true, false, 0, true);
            case "pull500" -> new Variant(name, "as the sink, read by an ordered consumer pulling 500 at a time", StorageType.File, true, false, true,
                                          500, false);
            case "push" -> new Variant(name, "as the sink, read by an ordered push consumer", StorageType.File, true, false, true, -1, false);
            case "flush" -> new Variant(name, "as the sink, flushing per request", StorageType.File, true, false, true, 0, true);
            default -> throw new IllegalArgumentException("bench.natsVariants: unknown variant " + name + " (" + VARIANT_NAMES + ")");
        };
    }

    /** Unacknowledged publishes at most. */
    static final int MAX_OUTSTANDING = 4000;

    /** A message as the sink makes it: the patch headers and the body. */
    record Msg(Map<String, String> headers, byte[] value) {}

    private final Connection nats;
    private final String natsUrl;
    private final int rate;
    private final double warmupSeconds;
    private final double seconds;
    private final Path work;
    private final String runId;

    NatsPublishBaseline(Connection nats, String natsUrl, int rate, double warmupSeconds, double seconds, Path work, String runId) {
        this.nats = nats;
        this.natsUrl = natsUrl;
        this.rate = rate;
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.work = work;
        this.runId = runId;
    }

    /** The messages of {@code count} transactions of the latency workload, in the text format, one message each. */
    static List<Msg> messages(String dataset, long seed, int count, Path dir) throws IOException {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), dataset).withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try {
            SinkTxnWorkload txns = new SinkTxnWorkload(seed);
            for ( int i = 0 ; i < count ; i++ )
                Txn.executeWrite(dsg, () -> txns.next(dsg));
            List<Msg> out = new ArrayList<>(count);
            for ( long v = 1 ; v <= log.headVersion() ; v++ )
                MessageFormats.byName("text").messages(new PatchRecord(dataset, log.read(v)), Map.of(), 1 << 20, dir,
                                                       (h, value) -> out.add(new Msg(h, value)));
            if ( out.size() != count )
                throw new IllegalStateException(count + " transactions made " + out.size() + " messages, expected one each");
            return out;
        } finally {
            dsg.close();
        }
    }

    /** Publish {@code msgs} as {@code v} says and read them back; the report's row. */
    String[] run(Variant v, List<Msg> msgs) throws Exception {
        String stream = ("BASE_" + runId + "_" + v.name()).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
        String subject = "base." + runId + "." + v.name();
        int n = msgs.size();
        int warmup = (int)Math.round(rate * warmupSeconds);
        long[] published = new long[n + 1];
        long[] acked = new long[n + 1];
        long[] received = new long[n + 1];
        String loadAtStart = BenchStats.loadAverage();
        JetStreamManagement jsm = nats.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(v.storage()).duplicateWindow(Duration.ofSeconds(120)).build());
        Options.Builder ob = new Options.Builder().server(natsUrl).connectionTimeout(Duration.ofSeconds(5)).noReconnect()
                                                  .errorListener(new io.nats.client.ErrorListener() {});
        if ( !v.forceFlush() )
            ob.dontForceFlushOnRequest();
        Connection pub = Nats.connect(ob.build());
        Reader reader = new Reader(v, stream, subject, received);
        try {
            reader.start();
            JetStream js = pub.jetStream();
            PublishOptions po = v.subjectSeq() || v.streamSeq() ? PublishOptions.builder().expectedStream(stream).build() : null;
            AtomicInteger acks = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            AtomicReference<String> firstFailure = new AtomicReference<>();
            long serverCpu0 = ServerCpu.ticks(natsUrl);
            long jvmCpu0 = processCpuNanos();
            // Unacknowledged publishes at most, as the sink (8 sends of up to 500 in flight); beyond, wait for the oldest.
            java.util.ArrayDeque<CompletableFuture<PublishAck>> outstanding = new java.util.ArrayDeque<>();
            long period = 1_000_000_000L / rate;
            long start = System.nanoTime();
            long measureFrom = start + warmup * period;
            for ( int i = 1 ; i <= n ; i++ ) {
                long due = start + (i - 1) * period;
                long wait;
                while ( (wait = due - System.nanoTime()) > 0 )
                    LockSupport.parkNanos(wait);
                while ( outstanding.size() >= MAX_OUTSTANDING )
                    outstanding.poll().handle((a, ex) -> null).join();
                Msg m = msgs.get(i - 1);
                Headers h = new Headers();
                m.headers().forEach(h::put);
                if ( v.msgId() )
                    h.put("Nats-Msg-Id", m.headers().get(PatchMessages.ID));
                if ( v.subjectSeq() )
                    h.put("Nats-Expected-Last-Subject-Sequence", Long.toString(i - 1));
                if ( v.streamSeq() )
                    h.put("Nats-Expected-Last-Sequence", Long.toString(i - 1));
                int seq = i;
                published[i] = System.nanoTime();
                CompletableFuture<PublishAck> f = po == null ? js.publishAsync(subject, h, m.value()) : js.publishAsync(subject, h, m.value(), po);
                outstanding.add(f);
                f.whenComplete((ack, ex) -> {
                    acked[seq] = System.nanoTime();
                    if ( ex != null || ack.getSeqno() != seq ) {
                        failures.incrementAndGet();
                        firstFailure.compareAndSet(null, "message " + seq + ": " + (ex != null ? ex.toString() : "stored at sequence " + ack.getSeqno()));
                    }
                    acks.incrementAndGet();
                });
            }
            long publishEnd = System.nanoTime();
            long deadline = publishEnd + 30_000_000_000L;
            // Polled: the acknowledgements and the reader count on their own threads, after the timings are taken.
            while ( (acks.get() < n || reader.last.get() < n) && System.nanoTime() < deadline && reader.failure.get() == null )
                Thread.sleep(2);
            long serverCpu1 = ServerCpu.ticks(natsUrl);
            long jvmCpu1 = processCpuNanos();
            double wall = (System.nanoTime() - start) / 1e9;
            reader.stop();
            if ( reader.failure.get() != null )
                throw new IllegalStateException("Baseline " + v.name() + ": the consumer failed: " + reader.failure.get(), reader.failure.get());
            int measured = n - warmup;
            double[] toAck = DeliveryFigures.stage(published, acked, warmup + 1, measured);
            double[] toConsumer = DeliveryFigures.stage(published, received, warmup + 1, measured);
            double[] ackToConsumer = DeliveryFigures.stage(acked, received, warmup + 1, measured);
            long missing = Arrays.stream(received, warmup + 1, n + 1).filter(t -> t == 0).count();
            double achieved = measured / ((publishEnd - measureFrom) / 1e9);
            String serverCpu = serverCpu0 < 0 || serverCpu1 < 0 ? "-" : f1(100.0 * (serverCpu1 - serverCpu0) / ServerCpu.TICKS_PER_SECOND / wall);
            String jvmCpu = f1(100.0 * (jvmCpu1 - jvmCpu0) / 1e9 / wall);
            System.out.println(String.format(Locale.ROOT, "baseline %s (%s): %,d measured, achieved %.1f msg/s; publish to ack ms %s; publish to consumer ms"
                                                          + " p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f; ack to consumer %s; %d ack failures%s; %d not received;"
                                                          + " CPU %% of one core: nats-server %s, this JVM %s", v.name(), v.what(), measured, achieved,
                                             stageText(toAck), pct(toConsumer, 50), pct(toConsumer, 90), pct(toConsumer, 99), pct(toConsumer, 99.9),
                                             toConsumer.length == 0 ? Double.NaN : toConsumer[toConsumer.length - 1], stageText(ackToConsumer), failures.get(),
                                             firstFailure.get() == null ? "" : " (first: " + firstFailure.get() + ")", missing, serverCpu, jvmCpu));
            return new String[] {v.name(), v.what(), f1(achieved), f2(pct(toAck, 50)) + " / " + f2(pct(toAck, 99)) + " / " + f2(pct(toAck, 99.9)),
                                 f2(pct(toConsumer, 50)), f2(pct(toConsumer, 90)), "**" + f2(pct(toConsumer, 99)) + "**", f2(pct(toConsumer, 99.9)),
                                 toConsumer.length == 0 ? "-" : f2(toConsumer[toConsumer.length - 1]), Long.toString(failures.get() + missing), serverCpu, jvmCpu,
                                 loadAtStart + " / " + BenchStats.loadAverage()};
        } finally {
            reader.stop();
            pub.close();
            try {
                jsm.deleteStream(stream);
            } catch (Exception ex) {
                System.out.println("Could not delete stream " + stream + ": " + ex);
            }
        }
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
    }

    /** Notes when each stream sequence arrives (the stream holds these messages only, so sequence i is message i), on a thread of its own. */
    private final class Reader {
        final AtomicLong last = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Variant v;
        private final String stream, subject;
        private final long[] received;
        private volatile boolean stop;
        private Thread thread;
        private AutoCloseable closer;

        Reader(Variant v, String stream, String subject, long[] received) {
            this.v = v;
            this.stream = stream;
            this.subject = subject;
            this.received = received;
        }

        void start() throws Exception {
            Runnable loop;
            if ( v.consumerBatch() == 0 ) {
                NatsPatchReader r = new NatsPatchReader(nats, stream, subject, 0, Files.createDirectories(work.resolve("baseline-" + v.name())));
                closer = r;
                loop = () -> {
                    try {
                        while ( !stop ) {
                            Optional<?> p = r.next(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            if ( p.isPresent() )
                                note(r.lastVersion(), now);
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
            } else if ( v.consumerBatch() > 0 ) {
                OrderedConsumerConfiguration occ = new OrderedConsumerConfiguration().filterSubject(subject).deliverPolicy(DeliverPolicy.All);
                IterableConsumer c = nats.getStreamContext(stream).createOrderedConsumer(occ).iterate(ConsumeOptions.builder().batchSize(v.consumerBatch()).build());
                closer = c;
                loop = () -> {
                    try {
                        while ( !stop ) {
                            Message m = c.nextMessage(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            if ( m != null )
                                note(m.metaData().streamSequence(), now);
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
            } else {
                io.nats.client.JetStreamSubscription sub = nats.jetStream().subscribe(subject, io.nats.client.PushSubscribeOptions.builder().stream(stream)
                    .ordered(true).build());
                closer = sub::unsubscribe;
                loop = () -> {
                    try {
                        while ( !stop ) {
                            Message m = sub.nextMessage(Duration.ofMillis(100));
                            long now = System.nanoTime();
                            if ( m != null )
                                note(m.metaData().streamSequence(), now);
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
            }
            thread = new Thread(loop, "bench-nats-baseline-consumer");
            thread.setDaemon(true);
            thread.start();
        }

        private void note(long seq, long now) {
            if ( seq != last.get() + 1 )
                throw new IllegalStateException("Baseline consumer: sequence " + seq + " after " + last.get());
            if ( seq < received.length )
                received[(int)seq] = now;
            last.set(seq);
        }

        void stop() throws Exception {
            stop = true;
            if ( thread != null )
                thread.join(10_000);
            if ( closer != null ) {
                closer.close();
                closer = null;
            }
        }
    }

    /** CPU time of the nats-server process listening on the URL's port, from /proc (Linux; -1 elsewhere or when not found). */
    static final class ServerCpu {
        /** USER_HZ: the unit of /proc/<pid>/stat's times on Linux. */
        static final long TICKS_PER_SECOND = 100;

        private ServerCpu() {}

        static long ticks(String url) {
            String port = Integer.toString(java.net.URI.create(url).getPort() < 0 ? 4222 : java.net.URI.create(url).getPort());
            try (var dirs = Files.list(Path.of("/proc"))) {
                for ( Path p : (Iterable<Path>)dirs::iterator ) {
                    if ( !p.getFileName().toString().chars().allMatch(Character::isDigit) )
                        continue;
                    try {
                        if ( !Files.readString(p.resolve("comm")).trim().equals("nats-server") )
                            continue;
                        List<String> args = Arrays.asList(Files.readString(p.resolve("cmdline")).split("\0"));
                        int i = args.indexOf("-p");
                        if ( i < 0 ? !port.equals("4222") : i + 1 >= args.size() || !args.get(i + 1).equals(port) )
                            continue;
                        String stat = Files.readString(p.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        // Fields 14 and 15 of stat (utime, stime), counted from the state field (3).
                        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    } catch (IOException | RuntimeException ex) {
                        // gone meanwhile, or not readable: look further
                    }
                }
            } catch (IOException ex) {
                return -1;
            }
            return -1;
        }
    }
}
