package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An IRI template of cdc:table such as {@code http://example.org/customer/{id}}: text with
 * {@code {column}} placeholders, each replaced by the column's value, percent-encoded as R2RML's
 * {@code rr:template} does, so that any value gives one path segment of a valid IRI.
 */
public record IriTemplate(String text, List<String> parts, List<String> columns) {
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:");

    public static IriTemplate parse(String text, String where) {
        List<String> parts = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        int i = 0;
        while ( true ) {
            int open = text.indexOf('{', i);
            if ( open < 0 ) {
                parts.add(text.substring(i));
                break;
            }
            int close = text.indexOf('}', open);
            if ( close < 0 )
                throw new IllegalArgumentException(where + ": template \"" + text + "\" has a '{' without '}'; write placeholders as {column}.");
            String col = text.substring(open + 1, close).trim();
            if ( col.isEmpty() )
                throw new IllegalArgumentException(where + ": template \"" + text + "\" has an empty placeholder {}; write {column}.");
            parts.add(text.substring(i, open));
            columns.add(col);
            i = close + 1;
        }
        if ( !SCHEME.matcher(text).lookingAt() )
            throw new IllegalArgumentException(where + ": template \"" + text + "\" does not start with a scheme such as http://, so it gives no absolute IRI.");
        if ( columns.isEmpty() )
            throw new IllegalArgumentException(where + ": template \"" + text + "\" has no {column} placeholder, so every row would get the same IRI.");
        return new IriTemplate(text, List.copyOf(parts), List.copyOf(columns));
    }
}
