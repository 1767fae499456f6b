package org.fusekicdc.core.internal.capture.tdb2;

/**
 * Whether TDB2 is on the class path. TDB2 is optional: a server without it writes through the
 * generic path, and must never load {@link Tdb2Adds}, whose types are TDB2's. This class names
 * no TDB2 type, so asking it is safe either way.
 */
public final class Tdb2Classpath {
    /** The TDB2 class whose presence stands for TDB2's. */
    static final String PROBE = "org.apache.jena.tdb2.sys.TDBInternal";

    private Tdb2Classpath() {}

    public static boolean present() {
        try {
            Class.forName(PROBE, false, Tdb2Classpath.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException ex) {
            return false;
        }
    }
}
