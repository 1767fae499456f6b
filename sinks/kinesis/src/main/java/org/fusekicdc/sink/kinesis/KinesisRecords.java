package org.fusekicdc.sink.kinesis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a patch message is laid out in a Kinesis record, which has data and a partition key but no
 * headers: a header block, then the patch bytes.
 * <pre>
 * fuseki-cdc 1
 * Content-Type: application/rdf-patch
 * cdc-id: 5b0c...
 * cdc-version: 42
 * ...
 * (empty line)
 * patch bytes (or one part of them)
 * </pre>
 * Header lines are UTF-8, each {@code name: value} ended by {@code \n}; the names are those of
 * {@link org.fusekicdc.core.wire.PatchMessages}, the same as other sinks' message headers.
 */
public final class KinesisRecords {
    /** The first line of every record the sink writes. */
    public static final String MAGIC = "fuseki-cdc 1";
    private static final byte[] MAGIC_LINE = (MAGIC + "\n").getBytes(StandardCharsets.UTF_8);

    private KinesisRecords() {}

    /** A decoded record: its headers and the patch bytes it carries. */
    public record Message(Map<String, String> headers, byte[] value) {}

    /** The record data for these headers and bytes. */
    public static byte[] encode(Map<String, String> headers, byte[] value) {
        byte[] head = headerBlock(headers);
        byte[] out = Arrays.copyOf(head, head.length + value.length);
        System.arraycopy(value, 0, out, head.length, value.length);
        return out;
    }

    /** The length of the header block {@link #encode} writes for these headers. */
    public static int headerLength(Map<String, String> headers) {
        return headerBlock(headers).length;
    }

    private static byte[] headerBlock(Map<String, String> headers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(MAGIC_LINE);
        headers.forEach((name, value) -> {
            if ( name.indexOf('\n') >= 0 || name.indexOf(':') >= 0 || value.indexOf('\n') >= 0 )
                throw new IllegalArgumentException("header " + name + " cannot be written in a Kinesis record: its name or value has a line break");
            out.writeBytes((name + ": " + value + "\n").getBytes(StandardCharsets.UTF_8));
        });
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * Read a record's data.
     *
     * @throws IllegalArgumentException when it is not a record of this layout
     */
    public static Message decode(byte[] data) {
        if ( !startsWithMagic(data) )
            throw new IllegalArgumentException("not a fuseki-cdc record: it does not start with the line '" + MAGIC + "'");
        Map<String, String> headers = new LinkedHashMap<>();
        int pos = MAGIC_LINE.length;
        while ( true ) {
            int eol = indexOf(data, (byte)'\n', pos);
            if ( eol < 0 )
                throw new IllegalArgumentException("fuseki-cdc record without the empty line that ends its headers");
            if ( eol == pos )
                return new Message(headers, Arrays.copyOfRange(data, eol + 1, data.length));
            String line = new String(data, pos, eol - pos, StandardCharsets.UTF_8);
            int colon = line.indexOf(": ");
            if ( colon <= 0 )
                throw new IllegalArgumentException("fuseki-cdc record with a header line that is not 'name: value': " + line);
            headers.put(line.substring(0, colon), line.substring(colon + 2));
            pos = eol + 1;
        }
    }

    static boolean startsWithMagic(byte[] data) {
        return data.length >= MAGIC_LINE.length && Arrays.equals(data, 0, MAGIC_LINE.length, MAGIC_LINE, 0, MAGIC_LINE.length);
    }

    private static int indexOf(byte[] data, byte b, int from) {
        for ( int i = from ; i < data.length ; i++ )
            if ( data[i] == b )
                return i;
        return -1;
    }
}
