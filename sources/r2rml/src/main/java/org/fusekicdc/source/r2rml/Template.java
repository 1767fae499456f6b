package org.fusekicdc.source.r2rml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * An {@code rr:template} string: text with {@code {column}} placeholders; {@code \{}, {@code \}}
 * and {@code \\} stand for the characters themselves (R2RML 7.3).
 *
 * @param text  the template as written in the mapping
 * @param parts the literal text and column names, alternating, starting with text (possibly empty)
 */
public record Template(String text, List<String> parts) {

    /**
     * @throws R2rmlException for an unclosed or empty placeholder, a lone {@code }} or a template
     *                        without any placeholder
     */
    public static Template parse(String text, String where) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inColumn = false;
        for ( int i = 0 ; i < text.length() ; i++ ) {
            char c = text.charAt(i);
            if ( c == '\\' && i + 1 < text.length() && "{}\\".indexOf(text.charAt(i + 1)) >= 0 ) {
                current.append(text.charAt(++i));
            } else if ( c == '{' ) {
                if ( inColumn )
                    throw bad(text, where, "a '{' inside a placeholder at position " + i + " (write \\{ for a literal brace)");
                parts.add(current.toString());
                current.setLength(0);
                inColumn = true;
            } else if ( c == '}' ) {
                if ( !inColumn )
                    throw bad(text, where, "a '}' without '{' at position " + i + " (write \\} for a literal brace)");
                if ( current.isEmpty() )
                    throw bad(text, where, "an empty placeholder {} at position " + (i - 1));
                parts.add(current.toString());
                current.setLength(0);
                inColumn = false;
            } else {
                current.append(c);
            }
        }
        if ( inColumn )
            throw bad(text, where, "a placeholder that is never closed");
        parts.add(current.toString());
        if ( parts.size() == 1 )
            throw bad(text, where, "no {column} placeholder (use rr:constant for a fixed term)");
        return new Template(text, List.copyOf(parts));
    }

    private static R2rmlException bad(String text, String where, String problem) {
        return new R2rmlException(where + ": rr:template \"" + text + "\" has " + problem + ".");
    }

    /** The column names, in order of appearance. */
    public List<String> columns() {
        List<String> cols = new ArrayList<>();
        for ( int i = 1 ; i < parts.size() ; i += 2 )
            cols.add(parts.get(i));
        return cols;
    }

    /** The literal text between placeholders: {@code literal(0)} before the first one. */
    public String literal(int index) {
        return parts.get(2 * index);
    }

    /**
     * The template filled in with each column's lexical value, percent-encoded when
     * {@code iriSafe}; null when any referenced value is NULL (R2RML: no term).
     */
    public String expand(Function<String, String> lexicalOfColumn, boolean iriSafe) {
        StringBuilder sb = new StringBuilder(parts.get(0));
        for ( int i = 1 ; i < parts.size() ; i += 2 ) {
            String value = lexicalOfColumn.apply(parts.get(i));
            if ( value == null )
                return null;
            sb.append(iriSafe ? iriSafe(value) : value).append(parts.get(i + 1));
        }
        return sb.toString();
    }

    /**
     * A pattern that every expansion matches (placeholders as {@code .*}); {@code prefix} is put
     * before it, for relative IRIs resolved against the base.
     */
    public Pattern shape(String prefix) {
        StringBuilder sb = new StringBuilder(Pattern.quote(prefix));
        for ( int i = 0 ; i < parts.size() ; i++ )
            sb.append(i % 2 == 0 ? Pattern.quote(parts.get(i)) : ".*");
        return Pattern.compile(sb.toString(), Pattern.DOTALL);
    }

    /**
     * R2RML's IRI-safe form: every character but the unreserved ones of RFC 3986 (letters,
     * digits, {@code -._~}) percent-encoded as UTF-8.
     */
    public static String iriSafe(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for ( byte b : value.getBytes(StandardCharsets.UTF_8) ) {
            int c = b & 0xFF;
            if ( isUnreserved(c) )
                sb.append((char)c);
            else
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                  .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
        }
        return sb.toString();
    }

    static boolean isUnreserved(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
