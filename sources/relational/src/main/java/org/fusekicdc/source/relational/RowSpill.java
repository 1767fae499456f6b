package org.fusekicdc.source.relational;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.LoggerFactory;

/**
 * The row events of one source transaction past the memory budget, on disk until the
 * transaction is applied: the events as the connector sent them (Kafka Connect's JSON form, each
 * distinct schema written once), so that any {@link RowMapper} maps them when they are read back.
 * Written once, read once, deleted on {@link #close()}.
 */
final class RowSpill implements AutoCloseable {
    private static final byte SCHEMA = 'S';
    private static final byte ROW = 'R';
    private static final String PREFIX = "rows-";

    /** Remove the spill files a process that stopped mid-transaction left in {@code dir}. */
    static void removeLeftovers(Path dir) {
        if ( !Files.isDirectory(dir) )
            return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*.spill")) {
            for ( Path p : ds )
                Files.deleteIfExists(p);
        } catch (IOException ex) {
            LoggerFactory.getLogger(RowSpill.class).warn("Could not clean the source spill directory {}: {}", dir, ex.toString());
        }
    }

    private final Path file;
    private final DataOutputStream out;
    private final JsonConverter payloads = converter(false);
    private final Map<Schema, Integer> schemaIds = new IdentityHashMap<>();
    private long rows;
    private boolean closed;

    RowSpill(Path dir) {
        try {
            Files.createDirectories(dir);
            file = Files.createTempFile(dir, PREFIX, ".spill");
            out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        } catch (IOException ex) {
            throw failed("create a transaction spill file in " + dir, ex);
        }
    }

    private static JsonConverter converter(boolean schemas) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("schemas.enable", Boolean.toString(schemas), "converter.type", "value"), false);
        return c;
    }

    /** The file (for tests and messages). */
    Path file() {
        return file;
    }

    /** The row events written so far. */
    long rows() {
        return rows;
    }

    /** Bytes on disk so far (after a flush of the buffer). */
    long bytes() {
        try {
            out.flush();
            return Files.size(file);
        } catch (IOException ex) {
            throw failed("read the size of " + file, ex);
        }
    }

    void append(SourceRecord r) {
        try {
            int keySchema = schemaId(r.keySchema());
            int valueSchema = schemaId(r.valueSchema());
            out.writeByte(ROW);
            out.writeUTF(r.topic());
            writePart(keySchema, r.keySchema(), r.key(), r.topic());
            writePart(valueSchema, r.valueSchema(), r.value(), r.topic());
            rows++;
        } catch (IOException ex) {
            throw failed("write to " + file, ex);
        }
    }

    private void writePart(int schemaId, Schema schema, Object value, String topic) throws IOException {
        out.writeInt(schemaId);
        if ( schemaId < 0 )
            return;
        byte[] b = payloads.fromConnectData(topic, schema, value);
        out.writeInt(b.length);
        out.write(b);
    }

    private int schemaId(Schema s) throws IOException {
        if ( s == null )
            return -1;
        Integer id = schemaIds.get(s);
        if ( id != null )
            return id;
        int next = schemaIds.size();
        byte[] json = payloads.asJsonSchema(s).toString().getBytes(StandardCharsets.UTF_8);
        out.writeByte(SCHEMA);
        out.writeInt(next);
        out.writeInt(json.length);
        out.write(json);
        schemaIds.put(s, next);
        return next;
    }

    /** Read the events back in the order written, each as a record with topic, key and value (no offsets). */
    void replay(Consumer<SourceRecord> each) {
        JsonConverter reader = converter(true);
        List<byte[]> schemas = new ArrayList<>();
        try {
            out.flush();
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                while ( true ) {
                    int tag;
                    try {
                        tag = in.readByte();
                    } catch (EOFException end) {
                        return;
                    }
                    if ( tag == SCHEMA ) {
                        int id = in.readInt();
                        byte[] json = new byte[in.readInt()];
                        in.readFully(json);
                        while ( schemas.size() <= id )
                            schemas.add(null);
                        schemas.set(id, json);
                        continue;
                    }
                    if ( tag != ROW )
                        throw new IOException("unexpected tag " + tag);
                    String topic = in.readUTF();
                    SchemaAndValue key = readPart(in, reader, schemas, topic);
                    SchemaAndValue value = readPart(in, reader, schemas, topic);
                    each.accept(new SourceRecord(null, null, topic, null, key.schema(), key.value(), value.schema(), value.value()));
                }
            }
        } catch (IOException ex) {
            throw failed("read " + file, ex);
        }
    }

    private static SchemaAndValue readPart(DataInputStream in, JsonConverter reader, List<byte[]> schemas, String topic) throws IOException {
        int id = in.readInt();
        if ( id < 0 )
            return SchemaAndValue.NULL;
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        byte[] schema = schemas.get(id);
        byte[] open = "{\"schema\":".getBytes(StandardCharsets.US_ASCII);
        byte[] middle = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);
        byte[] envelope = new byte[open.length + schema.length + middle.length + payload.length + 1];
        int at = 0;
        System.arraycopy(open, 0, envelope, at, open.length);
        System.arraycopy(schema, 0, envelope, at += open.length, schema.length);
        System.arraycopy(middle, 0, envelope, at += schema.length, middle.length);
        System.arraycopy(payload, 0, envelope, at += middle.length, payload.length);
        envelope[envelope.length - 1] = '}';
        return reader.toConnectData(topic, envelope);
    }

    private UncheckedIOException failed(String what, IOException ex) {
        return new UncheckedIOException("Cannot " + what + ": " + ex.getMessage()
                                        + ". A source transaction larger than cdc:spillThresholdRows is kept there until it is applied: free disk space in "
                                        + (file == null ? "the source's directory" : file.getParent()) + ".", ex);
    }

    @Override
    public void close() {
        if ( closed )
            return;
        closed = true;
        try {
            out.close();
        } catch (IOException ex) {
            // Only the file's content is lost, and it is deleted next.
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ex) {
            // Removed with the other leftovers when the source starts again.
        }
    }
}
