package org.fusekicdc.source.relational;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.jena.irix.IRIException;
import org.apache.jena.irix.IRIx;

/**
 * An IRI template such as {@code http://example.org/customer/{id}}: text with {@code {column}}
 * placeholders, each replaced by the column's value, percent-encoded so that any value gives
 * one path segment of a valid IRI.
 */
public record IriTemplate(String text, List<String> parts, List<String> columns) {

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
        if ( columns.isEmpty() )
            throw new IllegalArgumentException(where + ": template \"" + text + "\" has no {column} placeholder, so every row would get the same IRI.");
        return new IriTemplate(text, List.copyOf(parts), List.copyOf(columns));
    }

    /**
     * The IRI for a row, or null when a placeholder's column is NULL.
     *
     * @param value a column's value as text (null for SQL NULL)
     * @throws UnmappableRowException when the result is not a valid IRI
     */
    public String expand(Function<String, String> value) {
        StringBuilder sb = new StringBuilder(parts.get(0));
        for ( int k = 0 ; k < columns.size() ; k++ ) {
            String v = value.apply(columns.get(k));
            if ( v == null )
                return null;
            sb.append(encode(v)).append(parts.get(k + 1));
        }
        String iri = sb.toString();
        try {
            IRIx x = IRIx.create(iri);
            if ( !x.isAbsolute() )
                throw new UnmappableRowException("IRI template \"" + text + "\" gives the relative IRI <" + iri + ">; start the template with a scheme such as http://");
        } catch (IRIException ex) {
            throw new UnmappableRowException("IRI template \"" + text + "\" gives an invalid IRI <" + iri + ">: " + ex.getMessage());
        }
        return iri;
    }

    /** Percent-encode everything but RFC 3986 unreserved characters. */
    static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for ( byte b : s.getBytes(StandardCharsets.UTF_8) ) {
            int c = b & 0xFF;
            if ( (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' )
                sb.append((char)c);
            else
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return sb.toString();
    }
}
