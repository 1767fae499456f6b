package org.fusekicdc.streams.serde;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.NodeFactoryExtra;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link QuadEvent}s as Kafka values: a format byte, the dataset, version, commit time
 * (milliseconds), the change, and the quad's four terms in N-Triples syntax (blank nodes as
 * {@code _:} and their label as the patch gave it), UTF-8 and length-prefixed.
 */
public final class QuadEventSerde implements Serde<QuadEvent> {
    private static final int FORMAT = 1;

    @Override
    public Serializer<QuadEvent> serializer() {
        return (topic, event) -> event == null ? null : write(event);
    }

    @Override
    public Deserializer<QuadEvent> deserializer() {
        return (topic, data) -> data == null ? null : read(topic, data);
    }

    static byte[] write(QuadEvent e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            string(out, e.dataset());
            out.writeLong(e.version());
            out.writeLong(e.commitTime().toEpochMilli());
            out.writeByte(e.change().ordinal());
            Quad q = e.quad();
            for ( Node n : new Node[] { q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject() } )
                string(out, n.isBlank() ? "_:" + n.getBlankNodeLabel() : NodeFmtLib.strNT(n));
        } catch (IOException ex) {
            throw new SerializationException("Cannot write quad event of version " + e.version() + ": " + ex, ex);
        }
        return bytes.toByteArray();
    }

    static QuadEvent read(String topic, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readUnsignedByte();
            if ( format != FORMAT )
                throw new SerializationException("A record of topic " + topic + " is not a quad event of format " + FORMAT + " (first byte "
                                                 + format + "): read it with the serde that wrote it");
            String dataset = string(in);
            long version = in.readLong();
            Instant time = Instant.ofEpochMilli(in.readLong());
            int change = in.readUnsignedByte();
            if ( change >= QuadEvent.Change.values().length )
                throw new SerializationException("A quad event of topic " + topic + " has change " + change + ": not 0 (added) or 1 (removed)");
            Node[] n = new Node[4];
            for ( int i = 0; i < 4; i++ )
                n[i] = term(string(in));
            return new QuadEvent(dataset, version, time, QuadEvent.Change.values()[change], Quad.create(n[0], n[1], n[2], n[3]));
        } catch (IOException | RuntimeException ex) {
            if ( ex instanceof SerializationException se )
                throw se;
            throw new SerializationException("A record of topic " + topic + " is not a quad event (" + ex + "): read it with the serde that wrote it", ex);
        }
    }

    /** A term: a blank node keeps its label as it is (N-Triples would rewrite it), anything else in N-Triples syntax. */
    private static Node term(String s) {
        return s.startsWith("_:") ? NodeFactory.createBlankNode(s.substring(2)) : NodeFactoryExtra.parseNode(s);
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        int n = in.readInt();
        if ( n < 0 || n > in.available() )
            throw new IOException("a string of " + n + " bytes where " + in.available() + " remain");
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
}
