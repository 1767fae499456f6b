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
import org.apache.jena.graph.Triple;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.util.NodeFactoryExtra;
import org.apache.kafka.common.utils.Utils;
import org.fusekicdc.rsp.internal.SplitPlan;

/**
 * The records of a split query between its three stages, and how they are keyed.
 * <ul>
 * <li>Keyed topic (dataset stage to keyed stage), key {@code NUL dataset NUL query NUL subject}
 * (the subject in N-Triples syntax; empty for a step marker): an {@link Event} (a subject's
 * triples from one commit) goes to the partition of its key's hash; a {@link Marker} (a step of
 * the query) is sent once to every partition, carrying that partition's number.</li>
 * <li>Partials topic (keyed stage to assembly), key {@code dataset NUL query}: a {@link Part},
 * one per partition and step.</li>
 * </ul>
 * The leading NUL tells the dataset stage's keyed records from its whole steps (keyed by query name).
 */
public final class KeyedRecords {
    private static final int EVENT = 1, MARKER = 2, PART = 3;

    private KeyedRecords() {}

    /** Whether a record of the dataset stage goes to the keyed stage. */
    public static boolean isKeyed(String key) {
        return !key.isEmpty() && key.charAt(0) == '\u0000';
    }

    /** The keyed topic's key of a subject's events ({@code subject} null: of the query's step markers). */
    static String keyedKey(String dataset, String query, Node subject) {
        return "\u0000" + dataset + "\u0000" + query + "\u0000" + (subject == null ? "" : term(subject));
    }

    /** The partials topic's key. */
    static String partKey(String dataset, String query) {
        return dataset + "\u0000" + query;
    }

    /** The partition of the keyed topic a subject's events go to (of {@code partitions}). */
    static int partition(String keyedKey, int partitions) {
        return Utils.toPositive(Utils.murmur2(keyedKey.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    static String term(Node n) {
        return n.isBlank() ? "_:" + n.getBlankNodeLabel() : NodeFmtLib.strNT(n);
    }

    static Node node(String s) {
        return s.startsWith("_:") ? NodeFactory.createBlankNode(s.substring(2)) : NodeFactoryExtra.parseNode(s);
    }

    /** What a step marker carries to the assembly: the step, and the solutions of the query's dataset part at its version. */
    record Header(long start, long end, long version, long timestamp, byte[] datasetRows) {}

    /** A subject's triples from one commit: its version, the time it was taken at, and the (predicate, object) pairs. */
    record Event(long version, long time, List<Triple> triples) {}

    /** A step of the query for partition {@code partition}: its window, the oldest time a later window needs, and (partition 0) the header. */
    record Marker(int partition, long step, long start, long end, long keepFrom, Header header) {}

    /** A partition's aggregates for a step (and, from partition 0, the header). */
    record Part(int partition, long step, Header header, byte[] partial) {}

    static byte[] event(long version, long time, List<Triple> triples) {
        return write(out -> {
            out.writeByte(EVENT);
            out.writeLong(version);
            out.writeLong(time);
            out.writeInt(triples.size());
            for ( Triple t : triples ) {
                string(out, term(t.getPredicate()));
                string(out, term(t.getObject()));
            }
        });
    }

    /** An event of subject {@code subject}. */
    static Event event(Node subject, byte[] value) {
        return read(value, EVENT, in -> {
            long version = in.readLong();
            long time = in.readLong();
            int n = in.readInt();
            List<Triple> triples = new ArrayList<>(n);
            for ( int i = 0; i < n; i++ )
                triples.add(Triple.create(subject, node(string(in)), node(string(in))));
            return new Event(version, time, triples);
        });
    }

    /** The version of an event's commit, without reading its triples. */
    static long eventVersion(byte[] value) {
        return read(value, EVENT, DataInputStream::readLong);
    }

    /** The time an event's commit was taken at, without reading its triples. */
    static long eventTime(byte[] value) {
        return read(value, EVENT, in -> {
            in.readLong();
            return in.readLong();
        });
    }

    static boolean isMarker(byte[] value) {
        return value.length > 0 && value[0] == MARKER;
    }

    static byte[] marker(Marker m) {
        return write(out -> {
            out.writeByte(MARKER);
            out.writeInt(m.partition());
            out.writeLong(m.step());
            out.writeLong(m.start());
            out.writeLong(m.end());
            out.writeLong(m.keepFrom());
            header(out, m.header());
        });
    }

    static Marker marker(byte[] value) {
        return read(value, MARKER, in -> new Marker(in.readInt(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), header(in)));
    }

    static byte[] part(Part p) {
        return write(out -> {
            out.writeByte(PART);
            out.writeInt(p.partition());
            out.writeLong(p.step());
            header(out, p.header());
            out.writeInt(p.partial().length);
            out.write(p.partial());
        });
    }

    static Part part(byte[] value) {
        return read(value, PART, in -> {
            int partition = in.readInt();
            long step = in.readLong();
            Header h = header(in);
            return new Part(partition, step, h, in.readNBytes(in.readInt()));
        });
    }

    private static void header(DataOutputStream out, Header h) throws IOException {
        out.writeBoolean(h != null);
        if ( h == null )
            return;
        out.writeLong(h.start());
        out.writeLong(h.end());
        out.writeLong(h.version());
        out.writeLong(h.timestamp());
        out.writeInt(h.datasetRows().length);
        out.write(h.datasetRows());
    }

    private static Header header(DataInputStream in) throws IOException {
        if ( !in.readBoolean() )
            return null;
        return new Header(in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readNBytes(in.readInt()));
    }

    /** The event as the split plan takes it. */
    static SplitPlan.SubjectEvents subjectEvents(Event e) {
        return new SplitPlan.SubjectEvents(e.version(), e.time(), e.triples());
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            w.write(out);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    private static <T> T read(byte[] value, int type, Reader<T> r) {
        if ( value.length == 0 || value[0] != type )
            throw new IllegalArgumentException("A split query's record of type " + (value.length == 0 ? "none" : value[0]) + " where type " + type
                                               + " was expected: the keyed topics hold records of another version of the application");
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value, 1, value.length - 1))) {
            return r.read(in);
        } catch (IOException ex) {
            throw new UncheckedIOException("A split query's record cannot be read: " + ex.getMessage(), ex);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        return new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
    }
}
