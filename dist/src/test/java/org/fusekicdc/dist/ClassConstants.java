package org.fusekicdc.dist;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * The text constants of a class file (names, descriptors, string literals: its constant pool's
 * UTF-8 entries). Shading rewrites a class that uses a relocated library, so its bytes differ
 * from the compiled ones; its constants, with the relocation taken out, do not.
 */
final class ClassConstants {
    private ClassConstants() {}

    /** The class's UTF-8 constants, each with {@code relocatedPrefix} removed (in its slash and dot forms). */
    static Set<String> of(byte[] classFile, String relocatedPrefix) throws IOException {
        String slashes = relocatedPrefix.replace('.', '/');
        Set<String> constants = new TreeSet<>();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        in.skipNBytes(8);  // magic, minor and major version
        int count = in.readUnsignedShort();
        for ( int i = 1 ; i < count ; i++ ) {
            int tag = in.readUnsignedByte();
            switch ( tag ) {
                case 1 -> constants.add(in.readUTF().replace(slashes, "").replace(relocatedPrefix, ""));
                case 7, 8, 16, 19, 20 -> in.skipNBytes(2);
                case 15 -> in.skipNBytes(3);
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                case 5, 6 -> {
                    in.skipNBytes(8);
                    i++;  // Longs and doubles take two entries.
                }
                default -> throw new IOException("Unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        return constants;
    }
}
