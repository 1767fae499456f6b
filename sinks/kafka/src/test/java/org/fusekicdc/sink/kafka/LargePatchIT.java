package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One very large transaction through a broker whose records may be at most 1 MiB
 * ({@code message.max.bytes} on the in-JVM broker, {@code max.message.bytes} on the topic): the
 * sink splits the patch into parts of 900,000 bytes and {@link KafkaPatchReader} puts them
 * back together. Counted and compared by streaming, never holding the patch in memory.
 * <p>
 * Size: {@value #DEFAULT_QUADS} quads by default ({@code -Dfusekicdc.largeQuads=N} to change): five
 * times the capture's spill threshold, so the patch is merged from several spilled runs, and a
 * 23 MB patch in 26 parts, so splitting and reassembly work on many parts; size itself is not
 * what is tested. With {@code -Dfusekicdc.largeQuads=2000000} the patch is 186 MB in 207 parts
 * (capture about 48 s on the 2-core development machine, publishing 2 s, reading back 1.3 s).
 */
@ExtendWith(KafkaBrokerExtension.class)
class LargePatchIT {
    static final int DEFAULT_QUADS = 250_000;
    static final int MAX_MESSAGE_BYTES = 900_000;

    @TempDir
    Path dir;

    @Test
    void aPatchLargerThanARecordIsSplitAndReassembled(TestBroker broker) throws Exception {
        int quads = Integer.getInteger("fusekicdc.largeQuads", DEFAULT_QUADS);
        String topic = KafkaSinkIT.uniqueTopic("large");
        broker.createTopic(topic, Map.of("max.message.bytes", Integer.toString(TestBroker.MESSAGE_MAX_BYTES)));
        Map<String, String> opts = KafkaSinkIT.options(broker, topic);
        opts.put("maxMessageBytes", Integer.toString(MAX_MESSAGE_BYTES));
        try (CapturedStore store = CapturedStore.open(dir.resolve("store"), "ds")) {
            store.write(1);
            long t0 = System.nanoTime();
            store.writeLarge("large", quads);
            long t1 = System.nanoTime();
            store.write(3);
            LogRecord large = store.log.read(2);
            long expectedParts = (large.payloadLength() + MAX_MESSAGE_BYTES - 1) / MAX_MESSAGE_BYTES;
            String expectedDigest;
            try (InputStream in = large.openPayload()) {
                expectedDigest = sha256(in);
            }

            long t2 = System.nanoTime();
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), SinkConfig.DEFAULTS)) {
                Await.until(Duration.ofSeconds(180), () -> runner.status().cursor() == 3, () -> "delivered; status " + runner.status());
            }
            long t3 = System.nanoTime();

            int patches = 0;
            try (KafkaPatchReader reader = new KafkaPatchReader(broker.clientProperties(), topic, "ds", 0, dir.resolve("reader"))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while ( reader.lastVersion() < 3 && System.nanoTime() < deadline ) {
                    for ( Patch p : reader.poll(Duration.ofMillis(500)) ) {
                        try (p) {
                            patches++;
                            if ( p.version() != 2 )
                                continue;
                            assertEquals(Long.toString(expectedParts), p.headers().get(PatchMessages.PARTS), "parts of version 2");
                            assertTrue(p.file() != null, "a split patch is assembled in a file");
                            try (InputStream in = p.open()) {
                                assertEquals(quads, countAdds(in), "quads added by the reassembled patch");
                            }
                            try (InputStream in = p.open()) {
                                assertEquals(expectedDigest, sha256(in), "reassembled patch equals the log's record, byte for byte");
                            }
                        }
                    }
                }
                assertEquals(3, reader.lastVersion(), "all three patches read back");
            }
            assertEquals(3, patches);
            long t4 = System.nanoTime();

            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            assertEquals(expectedParts + 2, records.size(), "one record per part, plus the two small patches");
            records.forEach(r -> assertTrue(r.value().length <= MAX_MESSAGE_BYTES, "part size"));
            System.out.printf("LargePatch: %,d quads, patch %,d bytes in %d parts; capture into TDB2 %.1f s, publish %.1f s, read back %.1f s%n",
                              quads, large.payloadLength(), expectedParts, (t1 - t0) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9);
        }
    }

    /** Lines of the patch that add a quad, counted as the patch streams by. */
    private static long countAdds(InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        long n = 0;
        String line;
        while ( (line = r.readLine()) != null ) {
            if ( line.startsWith("A ") )
                n++;
        }
        return n;
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        int n;
        while ( (n = in.read(buf)) > 0 )
            md.update(buf, 0, n);
        return HexFormat.of().formatHex(md.digest());
    }
}
