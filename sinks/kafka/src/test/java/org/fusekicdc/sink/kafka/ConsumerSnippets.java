package org.fusekicdc.sink.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * The consumer examples of docs/sinks.md, compiled and run by {@link KafkaSinkIT}; the text
 * between the snippet markers is what the page shows ({@link SinksDocTest} checks that).
 */
final class ConsumerSnippets {
    private ConsumerSnippets() {}

    /** Follow a dataset with {@link KafkaPatchReader}; returns the last version applied. */
    static long followWithReader(String bootstrapServers, DatasetGraph replica, long lastApplied, BooleanSupplier running) throws IOException {
        // snippet:reader
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrapServers);
        try (KafkaPatchReader reader = new KafkaPatchReader(props, "fuseki-cdc.ds", "ds", lastApplied, Path.of("/tmp/cdc-reader"))) {
            while ( running.getAsBoolean() ) {
                for ( PatchReassembler.Patch patch : reader.poll(Duration.ofSeconds(1)) ) {
                    try (patch; InputStream in = patch.open()) {
                        RDFPatch p = PatchRecord.BINARY.equals(patch.headers().get("Content-Type"))
                            ? RDFPatchReaderBinary.read(in) : RDFPatchOps.read(in);
                        // A follower also checks that cdc-prev is the cdc-id of the patch it applied last.
                        RDFPatchOps.applyChange(replica, p);
                        lastApplied = patch.version();
                    }
                }
            }
        }
        // end-snippet
        return lastApplied;
    }

    /** Follow a dataset with a plain consumer in a consumer group; returns the last version applied. */
    static long followWithConsumer(String bootstrapServers, DatasetGraph replica, long lastApplied, BooleanSupplier running) throws IOException {
        // snippet:consumer
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers);
        props.put("group.id", "my-follower");
        props.put("isolation.level", "read_committed");
        props.put("auto.offset.reset", "earliest");
        props.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
             PatchReassembler assembler = new PatchReassembler(Path.of("/tmp/cdc-segments"), lastApplied)) {
            consumer.subscribe(List.of("fuseki-cdc.ds"));
            while ( running.getAsBoolean() ) {
                for ( ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofSeconds(1)) ) {
                    Map<String, String> headers = new HashMap<>();
                    for ( Header h : rec.headers() )
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    // Parts are put together; versions already applied (duplicates) are dropped.
                    Optional<PatchReassembler.Patch> whole = assembler.offer(headers, rec.value());
                    if ( whole.isEmpty() )
                        continue;
                    try (PatchReassembler.Patch patch = whole.get(); InputStream in = patch.open()) {
                        RDFPatchOps.applyChange(replica, RDFPatchOps.read(in));
                        lastApplied = patch.version();
                    }
                }
                consumer.commitSync();
            }
        }
        // end-snippet
        return lastApplied;
    }
}
