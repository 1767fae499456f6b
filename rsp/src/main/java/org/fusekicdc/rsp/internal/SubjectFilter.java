package org.fusekicdc.rsp.internal;

/**
 * Which subject hashes a pane may hold: a blocked Bloom filter, two bits per hash in one 64-bit
 * word, sixteen bits per subject (about one false "maybe" in fifty). A subject new to the window
 * is looked for in each older pane: a filter costs one memory access where the pane's table
 * would cost one or two, and the filters of a five-pane window of 100,000 subjects a pane take
 * a megabyte where the tables take ten.
 */
final class SubjectFilter {
    private final long[] words;
    private final int mask;

    /** A filter sized for {@code subjects} hashes. */
    SubjectFilter(int subjects) {
        int n = 1;
        while ( n < subjects / 4 )
            n <<= 1;
        words = new long[n];
        mask = words.length - 1;
    }

    /** Add a hash as {@link SubjectTable#hash} makes it. */
    void add(int hash) {
        words[(hash >>> 12) & mask] |= bits(hash);
    }

    /** False when no subject with this hash was added; true when one may have been. */
    boolean mayContain(int hash) {
        long b = bits(hash);
        return (words[(hash >>> 12) & mask] & b) == b;
    }

    /** Two bit positions from the hash's low twelve bits (the word is chosen by the bits above them). */
    private static long bits(int hash) {
        return 1L << hash | 1L << (hash >>> 6);
    }
}
