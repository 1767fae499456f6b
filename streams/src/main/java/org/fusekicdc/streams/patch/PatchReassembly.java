package org.fusekicdc.streams.patch;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.streams.serde.PatchSerde;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the records of a change topic (read as bytes) into whole patches, per dataset, in
 * order, once each: {@link PatchReassembler}'s rules (a duplicate version is dropped, a patch
 * whose parts start again starts over, parts whose first part was not seen are dropped), with
 * the parts of an unfinished patch and the last version handed on kept in a state store, so a
 * restarted or moved task goes on where the committed state left off.
 * <p>
 * Records without a {@code cdc-dataset} header are not fuseki-cdc patches: they are skipped
 * (logged once per task). A part that does not continue the patch being assembled is logged
 * as an error and the unfinished patch dropped: the publisher's next patch starts afresh.
 */
public final class PatchReassembly implements Processor<byte[], byte[], String, ChangePatch> {
    private static final Logger LOG = LoggerFactory.getLogger(PatchReassembly.class);
    private static final String LAST = "\u0000last";
    private static final String PART = "\u0000part\u0000";

    private final String storeName;
    private ProcessorContext<String, ChangePatch> context;
    private KeyValueStore<String, byte[]> store;
    private Path tmpDir;
    private final Map<String, PatchReassembler> assemblers = new HashMap<>();
    private final Map<String, Integer> storedParts = new HashMap<>();
    private boolean warnedForeign;

    private PatchReassembly(String storeName) {
        this.storeName = storeName;
    }

    /**
     * The processor and its state store, for {@code KStream#process} or {@code Topology#addProcessor}.
     *
     * @param storeName the name of the store that keeps unfinished patches (its changelog topic is named after it)
     */
    public static ProcessorSupplier<byte[], byte[], String, ChangePatch> supplier(String storeName) {
        StoreBuilder<KeyValueStore<String, byte[]>> builder =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storeName), Serdes.String(), Serdes.ByteArray());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<byte[], byte[], String, ChangePatch> get() {
                return new PatchReassembly(storeName);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(builder);
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, ChangePatch> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        this.tmpDir = context.stateDir().toPath().resolve("reassembly");
        close();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Map<String, String> headers = headers(record);
        String dataset = headers.get(PatchMessages.DATASET);
        if ( dataset == null || record.value() == null ) {
            if ( !warnedForeign )
                LOG.warn("Task {}: skipping records without a {} header: not fuseki-cdc patch messages", context.taskId(), PatchMessages.DATASET);
            warnedForeign = true;
            return;
        }
        PatchReassembler assembler = assembler(dataset);
        long version = number(headers, PatchMessages.VERSION, dataset);
        if ( version <= assembler.lastVersion() )
            return;
        long part = headers.containsKey(PatchMessages.PART) ? number(headers, PatchMessages.PART, dataset) : 0;
        Optional<PatchReassembler.Patch> whole;
        try {
            whole = assembler.offer(headers, record.value());
        } catch (IllegalArgumentException ex) {
            LOG.error("Dataset '{}' version {}: dropping an unfinished patch: {}", dataset, version, ex.getMessage());
            deleteParts(dataset);
            assembler.close();
            assemblers.put(dataset, new PatchReassembler(tmpDir, assembler.lastVersion()));
            return;
        }
        if ( whole.isPresent() ) {
            try (PatchReassembler.Patch p = whole.get()) {
                store.put(dataset + LAST, ByteBuffer.allocate(Long.BYTES).putLong(p.version()).array());
                deleteParts(dataset);
                context.forward(new Record<>(dataset, patch(dataset, p), record.timestamp()));
            }
        } else if ( part == 0 || storedParts.getOrDefault(dataset, 0) > 0 ) {
            if ( part == 0 )
                deleteParts(dataset);
            store.put(dataset + PART + "%010d".formatted(part), encode(headers, record.value()));
            storedParts.merge(dataset, 1, Integer::sum);
        }
    }

    private ChangePatch patch(String dataset, PatchReassembler.Patch p) {
        Map<String, String> h = p.headers();
        String type = h.getOrDefault(PatchMessages.CONTENT_TYPE, PatchRecord.TEXT);
        RDFPatch patch;
        try (InputStream in = p.open()) {
            patch = PatchSerde.read(type, in.readAllBytes());
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "' version " + p.version() + ": cannot read the assembled patch in " + tmpDir + ": " + ex, ex);
        }
        String stamp = h.get(PatchMessages.TIMESTAMP);
        Instant time;
        try {
            time = Instant.parse(stamp);
        } catch (NullPointerException | DateTimeParseException ex) {
            throw new IllegalArgumentException("Dataset '" + dataset + "' version " + p.version() + ": header " + PatchMessages.TIMESTAMP + " is "
                                               + stamp + ", not an ISO 8601 instant: the topic was not written by a fuseki-cdc sink");
        }
        return new ChangePatch(dataset, p.version(), time, h, patch);
    }

    /** The dataset's assembler, restored from the store the first time: the last version handed on, then the stored parts. */
    private PatchReassembler assembler(String dataset) {
        PatchReassembler a = assemblers.get(dataset);
        if ( a != null )
            return a;
        byte[] last = store.get(dataset + LAST);
        a = new PatchReassembler(tmpDir, last == null ? 0 : ByteBuffer.wrap(last).getLong());
        int parts = 0;
        try (KeyValueIterator<String, byte[]> it = store.range(dataset + PART, dataset + PART + "\uffff")) {
            while ( it.hasNext() ) {
                DecodedPart d = decode(it.next().value);
                a.offer(d.headers(), d.value());
                parts++;
            }
        }
        if ( parts > 0 )
            LOG.info("Dataset '{}': resuming a patch from {} stored part(s) after version {}", dataset, parts, a.lastVersion());
        storedParts.put(dataset, parts);
        assemblers.put(dataset, a);
        return a;
    }

    private void deleteParts(String dataset) {
        if ( storedParts.getOrDefault(dataset, 0) == 0 )
            return;
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.range(dataset + PART, dataset + PART + "\uffff")) {
            it.forEachRemaining((KeyValue<String, byte[]> kv) -> keys.add(kv.key));
        }
        keys.forEach(store::delete);
        storedParts.put(dataset, 0);
    }

    private static Map<String, String> headers(Record<byte[], byte[]> record) {
        Map<String, String> h = new LinkedHashMap<>();
        for ( Header header : record.headers() )
            if ( header.value() != null )
                h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        return h;
    }

    private static long number(Map<String, String> headers, String name, String dataset) {
        String s = headers.get(name);
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("Dataset '" + dataset + "': header " + name + " is " + s + ", not a number: the topic was not written by a fuseki-cdc sink");
        }
    }

    private record DecodedPart(Map<String, String> headers, byte[] value) {}

    private static byte[] encode(Map<String, String> headers, byte[] value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length + 256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(headers.size());
            for ( Map.Entry<String, String> e : headers.entrySet() ) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeInt(value.length);
            out.write(value);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    private static DecodedPart decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int n = in.readInt();
            Map<String, String> h = new LinkedHashMap<>();
            for ( int i = 0; i < n; i++ )
                h.put(in.readUTF(), in.readUTF());
            return new DecodedPart(h, in.readNBytes(in.readInt()));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        assemblers.values().forEach(PatchReassembler::close);
        assemblers.clear();
        storedParts.clear();
    }
}
