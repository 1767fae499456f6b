package org.fusekicdc.streams.query;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.Commits;

/**
 * The commits a restart replays, per dataset, in version order, in a key-value store (key
 * {@code dataset NUL version}). Each is stored with what a replay that starts at it resumes
 * with: the engine's time and its queries' latest event times just before it was taken. Its
 * commit time is the time it was taken at (never before an earlier commit or a wall-clock
 * advance). A value is that header line, then the patch in RDF Patch text.
 */
final class CommitStore {
    /** A stored commit and the engine's state just before it. */
    record Stored(Commit commit, long timeBefore, Map<String, Long> eventTimesBefore) {}

    private final KeyValueStore<String, byte[]> store;

    CommitStore(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    void put(String dataset, Commit commit, RDFPatch patch, long timeBefore, Map<String, Long> eventTimesBefore) {
        StringBuilder header = new StringBuilder();
        header.append(commit.commitTime().toEpochMilli()).append(' ').append(timeBefore);
        // Query names are IRIs: no spaces.
        eventTimesBefore.forEach((q, t) -> header.append(' ').append(q).append(' ').append(t));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        RDFPatchOps.write(out, patch);
        store.put(key(dataset, commit.version()), out.toByteArray());
    }

    /** The dataset's stored commits, oldest first. */
    void forEach(String dataset, Consumer<Stored> action) {
        try (KeyValueIterator<String, byte[]> it = store.range(dataset + "\u0000", dataset + "\u0000\uffff")) {
            while ( it.hasNext() ) {
                KeyValue<String, byte[]> kv = it.next();
                action.accept(decode(version(dataset, kv.key), kv.value));
            }
        }
    }

    /** The dataset's oldest stored commit, or null. */
    Stored first(String dataset) {
        try (KeyValueIterator<String, byte[]> it = store.range(dataset + "\u0000", dataset + "\u0000\uffff")) {
            if ( !it.hasNext() )
                return null;
            KeyValue<String, byte[]> kv = it.next();
            return decode(version(dataset, kv.key), kv.value);
        }
    }

    /** The datasets with stored commits. */
    List<String> datasets() {
        List<String> out = new ArrayList<>();
        String from = "";
        while ( true ) {
            try (KeyValueIterator<String, byte[]> it = store.range(from, null)) {
                if ( !it.hasNext() )
                    return out;
                String key = it.next().key;
                String dataset = key.substring(0, key.indexOf('\u0000'));
                out.add(dataset);
                // Jump past the dataset's commits.
                from = dataset + "\u0001";
            }
        }
    }

    /**
     * Delete the dataset's commits before version {@code before}, oldest first, each handed to
     * {@code letGo} first (to move it into the reference-data snapshot).
     *
     * @return how many were deleted
     */
    int deleteBefore(String dataset, long before, Consumer<Commit> letGo) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.range(dataset + "\u0000", key(dataset, before - 1))) {
            while ( it.hasNext() ) {
                KeyValue<String, byte[]> kv = it.next();
                letGo.accept(decode(version(dataset, kv.key), kv.value).commit());
                keys.add(kv.key);
            }
        }
        keys.forEach(store::delete);
        return keys.size();
    }

    private static String key(String dataset, long version) {
        return dataset + "\u0000" + "%020d".formatted(version);
    }

    private static long version(String dataset, String key) {
        return Long.parseLong(key.substring(dataset.length() + 1));
    }

    private static Stored decode(long version, byte[] value) {
        int nl = 0;
        while ( value[nl] != '\n' )
            nl++;
        String[] f = new String(value, 0, nl, StandardCharsets.UTF_8).split(" ");
        long time = Long.parseLong(f[0]);
        // A commit stored before the engine's state was recorded with it has only its time.
        long timeBefore = f.length > 1 ? Long.parseLong(f[1]) : Long.MIN_VALUE;
        Map<String, Long> eventTimes = new LinkedHashMap<>();
        for ( int i = 2; i + 1 < f.length; i += 2 )
            eventTimes.put(f[i], Long.parseLong(f[i + 1]));
        RDFPatch patch = RDFPatchOps.read(new ByteArrayInputStream(value, nl + 1, value.length - nl - 1));
        return new Stored(Commits.fromPatch(version, Instant.ofEpochMilli(time), patch), timeBefore, eventTimes);
    }
}
