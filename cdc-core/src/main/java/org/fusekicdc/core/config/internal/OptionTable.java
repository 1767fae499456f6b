package org.fusekicdc.core.config.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.fusekicdc.core.config.Option;

/**
 * The Markdown reference table of a list of {@link Option}s, and its place in a document: a
 * marker line such as {@code <!-- options:sink-common -->} followed by the table, which
 * {@link #regenerate} replaces. The prose around the tables stays hand-written.
 */
public final class OptionTable {
    private OptionTable() {}

    /** The marker line before the table named {@code table}. */
    public static String marker(String table) {
        return "<!-- options:" + table + " -->";
    }

    /** The table's lines: header, separator, one row per option. */
    public static List<String> render(List<? extends Option<?>> options) {
        List<String> lines = new ArrayList<>();
        lines.add("| Property | Type | Default | Meaning |");
        lines.add("|---|---|---|---|");
        for ( Option<?> o : options )
            lines.add("| `" + o.prefixedName() + "` | " + cell(o.type()) + " | " + cell(o.defaultDoc()) + " | " + cell(o.doc()) + " |");
        return lines;
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /**
     * {@code document} with the table after {@link #marker(String) marker(table)} (the lines
     * starting with "|" that follow it, if any) replaced by {@link #render(List) render(options)}.
     *
     * @throws IllegalArgumentException when the document has no such marker
     */
    public static List<String> regenerate(List<String> document, String table, List<? extends Option<?>> options) {
        int at = document.indexOf(marker(table));
        if ( at < 0 )
            throw new IllegalArgumentException("no line " + marker(table) + " marks where the " + table + " options table goes");
        int end = at + 1;
        while ( end < document.size() && document.get(end).startsWith("|") )
            end++;
        List<String> out = new ArrayList<>(document.subList(0, at + 1));
        out.addAll(render(options));
        out.addAll(document.subList(end, document.size()));
        return out;
    }

    /**
     * Where {@code committed} differs from {@code generated}: the first differing line number
     * (1-based) with both versions of it, or empty when they are the same.
     */
    public static Optional<String> firstDifference(List<String> committed, List<String> generated) {
        int n = Math.min(committed.size(), generated.size());
        for ( int i = 0 ; i < n ; i++ ) {
            if ( !committed.get(i).equals(generated.get(i)) )
                return Optional.of("line " + (i + 1) + " is\n  " + committed.get(i) + "\nbut the option declarations give\n  " + generated.get(i));
        }
        if ( committed.size() != generated.size() )
            return Optional.of("line " + (n + 1) + (committed.size() > n ? " is\n  " + committed.get(n) + "\nbut the option declarations end there"
                                                                       : " is missing; the option declarations give\n  " + generated.get(n)));
        return Optional.empty();
    }
}
