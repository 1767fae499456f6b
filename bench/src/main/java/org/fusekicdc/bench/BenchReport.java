package org.fusekicdc.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark's output: report lines are printed as they come and again together at the end
 * (after the progress lines that came between them); progress lines, marked {@code #}, only now.
 */
final class BenchReport {
    private final List<String> lines = new ArrayList<>();

    /** A line for the final report (also shown now). */
    void out(String line) {
        lines.add(line);
        System.out.println(line);
    }

    static void progress(String line) {
        System.out.println("# " + line);
    }

    /** Print the report lines again, together, under a rule. */
    void printAll() {
        System.out.println();
        System.out.println("=".repeat(100));
        lines.forEach(System.out::println);
    }
}
