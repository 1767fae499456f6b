package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.riot.tokens.Token;
import org.apache.jena.riot.tokens.TokenType;
import org.apache.jena.riot.tokens.Tokenizer;
import org.apache.jena.riot.tokens.TokenizerText;
import org.fusekicdc.core.internal.log.LogRecord;

/**
 * One version's history index entries: its patch's quad changes merged per (subject, predicate,
 * graph) and appended, in batches of at most {@value #FLUSH_ENTRIES}, to the bucket files of a
 * partition. The bytes written become visible only when the caller publishes {@link #written}.
 */
final class VersionEntries extends RDFChangesBase {
    static final int FLUSH_ENTRIES = 65_536;
    private static final int SMALL_PATCH = 64 * 1024;

    private record Key(long s, long p, long g) {}

    private final IndexPartition part;
    private final long version;
    private final Map<Key, int[]> pending = new HashMap<>();
    private final Map<Node, Long> termKeys = new HashMap<>();
    /** The bucket lengths with this version's entries. */
    final long[] written;
    /** The partition's entries with this version's. */
    long entries;

    private VersionEntries(IndexPartition part, long version) {
        this.part = part;
        this.version = version;
        this.written = part.lengths.clone();
        this.entries = part.entries;
    }

    /** Append the entries of record {@code r} to {@code part}'s bucket files. */
    static VersionEntries append(IndexPartition part, LogRecord r) throws IOException {
        VersionEntries c = new VersionEntries(part, r.version());
        if ( r.payloadLength() <= SMALL_PATCH ) {
            scanSmall(new String(r.payloadBytes(), StandardCharsets.UTF_8), c);
        } else {
            try (InputStream in = r.openPayload()) {
                new RDFPatchReaderText(in).apply(c);
            }
        }
        c.flush();
        for ( int b = 0 ; b < IndexEntry.BUCKETS ; b++ )
            part.channel(b);    // every bucket file exists once the partition holds a version
        return c;
    }

    /**
     * The quad changes of a small patch, read with Jena's tokenizer over the text in memory:
     * Jena's patch reader sets up a 128K-character stream buffer per patch, which costs more than
     * the rest of indexing a small one.
     */
    private static void scanSmall(String text, VersionEntries c) {
        Tokenizer tok = TokenizerText.create().fromString(text).build();
        Node[] terms = new Node[4];
        while ( tok.hasNext() ) {
            String word = tok.next().getImage();
            boolean quad = "A".equals(word) || "D".equals(word);
            int n = 0;
            while ( true ) {
                Token t = tok.next();
                if ( t.hasType(TokenType.DOT) )
                    break;
                if ( quad ) {
                    if ( n == 4 )
                        throw new IllegalStateException("a quad line with more than four terms: " + t);
                    terms[n++] = t.asNode();
                }
            }
            if ( !quad )
                continue;
            if ( n < 3 )
                throw new IllegalStateException("a quad line with " + n + " terms");
            Node g = n == 4 ? terms[3] : null;
            if ( word.equals("A") )
                c.add(g, terms[0], terms[1], terms[2]);
            else
                c.delete(g, terms[0], terms[1], terms[2]);
        }
    }

    @Override
    public void add(Node g, Node s, Node p, Node o) {
        count(g, s, p, 0);
    }

    @Override
    public void delete(Node g, Node s, Node p, Node o) {
        count(g, s, p, 1);
    }

    private void count(Node g, Node s, Node p, int which) {
        Key k = new Key(key(s), key(p), TermHash.graph(g));
        pending.computeIfAbsent(k, x -> new int[2])[which]++;
        if ( pending.size() >= FLUSH_ENTRIES ) {
            try {
                flush();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    // Predicates and graphs repeat within a patch: hash each once, with the cache bounded like the batch.
    private long key(Node n) {
        Long k = termKeys.get(n);
        if ( k != null )
            return k;
        long h = TermHash.of(n);
        if ( termKeys.size() < FLUSH_ENTRIES )
            termKeys.put(n, h);
        return h;
    }

    private void flush() throws IOException {
        if ( pending.isEmpty() )
            return;
        ByteBuffer[] bufs = new ByteBuffer[IndexEntry.BUCKETS];
        int[] counts = new int[IndexEntry.BUCKETS];
        for ( Key k : pending.keySet() )
            counts[IndexEntry.bucketOf(k.s)]++;
        for ( int b = 0 ; b < IndexEntry.BUCKETS ; b++ )
            if ( counts[b] > 0 )
                bufs[b] = ByteBuffer.allocate(counts[b] * IndexEntry.SIZE);
        CRC32C crc = new CRC32C();
        for ( Map.Entry<Key, int[]> e : pending.entrySet() ) {
            Key k = e.getKey();
            IndexEntry.put(bufs[IndexEntry.bucketOf(k.s)], k.s, k.p, k.g, version, e.getValue()[0], e.getValue()[1], crc);
        }
        for ( int b = 0 ; b < IndexEntry.BUCKETS ; b++ ) {
            if ( bufs[b] == null )
                continue;
            bufs[b].flip();
            FileChannel ch = part.channel(b);
            while ( bufs[b].hasRemaining() )
                written[b] += ch.write(bufs[b], written[b]);
        }
        entries += pending.size();
        pending.clear();
    }
}
