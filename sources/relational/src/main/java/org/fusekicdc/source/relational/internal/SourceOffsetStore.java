package org.fusekicdc.source.relational.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * The Debezium engine's offset store for a source: a file in the source's directory beside the
 * change log, replaced atomically (write, fsync, rename) on every commit. The engine commits an
 * offset only for records whose transaction is already committed in the dataset, so the stored
 * offset never runs ahead of the data.
 * <p>
 * Named by class in the engine's {@code offset.storage}; the file is {@code offset.storage.file.filename}.
 */
public class SourceOffsetStore extends MemoryOffsetBackingStore {
    public static final String FILE = "offset.storage.file.filename";
    private Path file;

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        Object f = config.originals().get(FILE);
        if ( f == null )
            throw new IllegalArgumentException(FILE + " is not set");
        file = Path.of(f.toString());
    }

    @Override
    public synchronized void start() {
        super.start();
        data.putAll(read(file));
    }

    /** The offsets in a store file (empty when there is none). */
    public static Map<ByteBuffer, ByteBuffer> read(Path file) {
        Map<ByteBuffer, ByteBuffer> m = new java.util.HashMap<>();
        if ( !Files.exists(file) )
            return m;
        try (InputStream in = Files.newInputStream(file); DataInputStream din = new DataInputStream(in)) {
            int n = din.readInt();
            for ( int i = 0 ; i < n ; i++ ) {
                byte[] k = new byte[din.readInt()];
                din.readFully(k);
                int vl = din.readInt();
                byte[] v = vl < 0 ? null : new byte[vl];
                if ( v != null )
                    din.readFully(v);
                m.put(ByteBuffer.wrap(k), v == null ? null : ByteBuffer.wrap(v));
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read the source offsets in " + file + ": " + ex.getMessage()
                                           + ". If the file is damaged, delete it: the source then starts as configured by cdc:snapshotMode.", ex);
        }
        return m;
    }

    @Override
    public java.util.Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return java.util.Set.of();
    }

    @Override
    protected void save() {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(tmp); DataOutputStream dout = new DataOutputStream(out)) {
                dout.writeInt(data.size());
                for ( Map.Entry<ByteBuffer, ByteBuffer> e : data.entrySet() ) {
                    write(dout, e.getKey());
                    write(dout, e.getValue());
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write the source offsets to " + file + ": " + ex.getMessage(), ex);
        }
    }

    private static void write(DataOutputStream out, ByteBuffer b) throws IOException {
        if ( b == null ) {
            out.writeInt(-1);
            return;
        }
        ByteBuffer d = b.duplicate();
        byte[] a = new byte[d.remaining()];
        d.get(a);
        out.writeInt(a.length);
        out.write(a);
    }
}
