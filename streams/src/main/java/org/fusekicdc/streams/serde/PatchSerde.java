package org.fusekicdc.streams.serde;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFChangesWriterBinary;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * RDF Patch as a Kafka Streams value, in the text or the binary (Thrift) form of the change
 * topic ({@code cdc:format "text"} or {@code "binary"}).
 * <p>
 * The deserializer reads the form the record's {@code Content-Type} header names, and the serde's
 * own form when there is none; the serializer writes the serde's form and sets that header. A
 * record that is one part of a patch split past the topic's size limit ({@code cdc-segments}
 * above 1) cannot be read alone: the deserializer refuses it, naming {@link
 * org.fusekicdc.streams.patch.PatchReassembly}, which puts parts back together.
 */
public final class PatchSerde implements Serde<RDFPatch> {
    private final String contentType;

    private PatchSerde(String contentType) {
        this.contentType = contentType;
    }

    /** RDF Patch text, {@value PatchRecord#TEXT}. */
    public static PatchSerde text() {
        return new PatchSerde(PatchRecord.TEXT);
    }

    /** RDF Patch binary, {@value PatchRecord#BINARY}. */
    public static PatchSerde binary() {
        return new PatchSerde(PatchRecord.BINARY);
    }

    /** The form this serde writes, and reads when a record does not say. */
    public String contentType() {
        return contentType;
    }

    /** The patch in {@code bytes}, in the given form ({@link PatchRecord#TEXT} or {@link PatchRecord#BINARY}). */
    public static RDFPatch read(String contentType, byte[] bytes) {
        if ( PatchRecord.BINARY.equals(contentType) )
            return RDFPatchReaderBinary.read(new ByteArrayInputStream(bytes));
        if ( PatchRecord.TEXT.equals(contentType) )
            return RDFPatchOps.read(new ByteArrayInputStream(bytes));
        throw new SerializationException("Content-Type " + contentType + " is not RDF Patch: the change topic must be written with cdc:format \"text\""
                                         + " or \"binary\" (" + PatchRecord.TEXT + ", " + PatchRecord.BINARY + ") to be read as patches");
    }

    /** The patch in the given form. */
    public static byte[] write(String contentType, RDFPatch patch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if ( PatchRecord.BINARY.equals(contentType) )
            RDFChangesWriterBinary.writeBinary(out, patch::apply);
        else
            RDFPatchOps.write(out, patch);
        return out.toByteArray();
    }

    @Override
    public Serializer<RDFPatch> serializer() {
        return new Serializer<>() {
            @Override
            public byte[] serialize(String topic, RDFPatch patch) {
                return patch == null ? null : write(contentType, patch);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, RDFPatch patch) {
                if ( patch == null )
                    return null;
                headers.remove(PatchMessages.CONTENT_TYPE);
                headers.add(PatchMessages.CONTENT_TYPE, contentType.getBytes(StandardCharsets.UTF_8));
                return write(contentType, patch);
            }
        };
    }

    @Override
    public Deserializer<RDFPatch> deserializer() {
        return new Deserializer<>() {
            @Override
            public RDFPatch deserialize(String topic, byte[] data) {
                return data == null ? null : read(contentType, data);
            }

            @Override
            public RDFPatch deserialize(String topic, Headers headers, byte[] data) {
                if ( data == null )
                    return null;
                String parts = header(headers, PatchMessages.PARTS);
                if ( parts != null && !parts.equals("1") )
                    throw new SerializationException("A record of topic " + topic + " is part " + header(headers, PatchMessages.PART) + " of " + parts
                                                     + " of patch version " + header(headers, PatchMessages.VERSION)
                                                     + ": read the topic as bytes and put the parts together with PatchReassembly");
                String type = header(headers, PatchMessages.CONTENT_TYPE);
                return read(type == null ? contentType : type, data);
            }
        };
    }

    static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
