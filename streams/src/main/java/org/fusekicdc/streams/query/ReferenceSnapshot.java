package org.fusekicdc.streams.query;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.NodeFactoryExtra;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.fusekicdc.rsp.Commit;

/**
 * The reference data of each dataset as of the version before its oldest stored commit: the
 * commits let go from the {@link CommitStore} applied, one store entry per quad (key
 * {@code dataset NUL quad}, empty value), so the store and its changelog topic hold the
 * dataset's current quads and no history.
 */
final class ReferenceSnapshot {
    private static final byte[] PRESENT = new byte[0];
    private static final BytesSerializer PREFIX = new BytesSerializer();

    private final KeyValueStore<Bytes, byte[]> store;

    ReferenceSnapshot(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    /** Move the snapshot of {@code dataset} to the commit's version. */
    void apply(String dataset, Commit commit) {
        for ( Quad q : commit.removed() )
            store.delete(key(dataset, q));
        for ( Quad q : commit.added() )
            store.put(key(dataset, q), PRESENT);
    }

    /** The quads of the dataset's snapshot. */
    List<Quad> quads(String dataset) {
        List<Quad> out = new ArrayList<>();
        Bytes prefix = prefix(dataset);
        try (KeyValueIterator<Bytes, byte[]> it = store.prefixScan(prefix, PREFIX)) {
            while ( it.hasNext() ) {
                KeyValue<Bytes, byte[]> kv = it.next();
                out.add(quad(kv.key.get(), prefix.get().length));
            }
        }
        return out;
    }

    private static Bytes prefix(String dataset) {
        byte[] name = dataset.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[name.length + 1];
        System.arraycopy(name, 0, p, 0, name.length);
        return Bytes.wrap(p);
    }

    private static Bytes key(String dataset, Quad q) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(prefix(dataset).get());
            for ( Node n : new Node[] { q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject() } ) {
                byte[] term = (n.isBlank() ? "_:" + n.getBlankNodeLabel() : NodeFmtLib.strNT(n)).getBytes(StandardCharsets.UTF_8);
                out.writeInt(term.length);
                out.write(term);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return Bytes.wrap(bytes.toByteArray());
    }

    private static Quad quad(byte[] key, int from) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(key, from, key.length - from))) {
            Node[] n = new Node[4];
            for ( int i = 0; i < 4; i++ )
                n[i] = term(new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8));
            return Quad.create(n[0], n[1], n[2], n[3]);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A blank node keeps its label as it is (N-Triples would rewrite it), anything else in N-Triples syntax. */
    private static Node term(String s) {
        return s.startsWith("_:") ? NodeFactory.createBlankNode(s.substring(2)) : NodeFactoryExtra.parseNode(s);
    }
}
