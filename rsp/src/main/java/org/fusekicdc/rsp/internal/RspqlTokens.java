package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an RSP-QL text into the tokens the window clauses are made of, skipping comments
 * and keeping strings and IRIs whole, so that clause keywords inside them are never taken
 * for clauses. Offsets let the caller blank clauses out while keeping every line and column
 * of the rest where it was.
 */
public final class RspqlTokens {
    /** Kinds of token. */
    public enum Kind { IRI, STRING, WORD, PUNCT }

    /** One token: {@code text} is {@code source[start, end)}. */
    public record Token(Kind kind, String text, int start, int end) {
        public boolean is(String word) {
            return kind == Kind.WORD && text.equalsIgnoreCase(word);
        }

        public boolean isPunct(char c) {
            return kind == Kind.PUNCT && text.charAt(0) == c;
        }
    }

    private RspqlTokens() {}

    public static List<Token> tokenize(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while ( i < n ) {
            char c = s.charAt(i);
            if ( Character.isWhitespace(c) ) {
                i++;
            } else if ( c == '#' ) {
                while ( i < n && s.charAt(i) != '\n' )
                    i++;
            } else if ( c == '"' || c == '\'' ) {
                int end = endOfString(s, i);
                out.add(new Token(Kind.STRING, s.substring(i, end), i, end));
                i = end;
            } else if ( c == '<' && iriEnd(s, i) > 0 ) {
                int end = iriEnd(s, i);
                out.add(new Token(Kind.IRI, s.substring(i, end), i, end));
                i = end;
            } else if ( "{}[]()<>,;".indexOf(c) >= 0 ) {
                out.add(new Token(Kind.PUNCT, String.valueOf(c), i, i + 1));
                i++;
            } else {
                int start = i;
                while ( i < n && !Character.isWhitespace(s.charAt(i)) && "{}[]()<>\"',;#".indexOf(s.charAt(i)) < 0 )
                    i++;
                out.add(new Token(Kind.WORD, s.substring(start, i), start, i));
            }
        }
        return out;
    }

    /** End (exclusive) of an IRI reference starting at {@code i}, or -1 when the '<' is an operator. */
    private static int iriEnd(String s, int i) {
        for ( int j = i + 1; j < s.length(); j++ ) {
            char c = s.charAt(j);
            if ( c == '>' )
                return j + 1;
            if ( Character.isWhitespace(c) || c == '<' || c == '"' || c == '{' || c == '}' )
                return -1;
        }
        return -1;
    }

    private static int endOfString(String s, int i) {
        char q = s.charAt(i);
        boolean triple = s.startsWith(String.valueOf(q).repeat(3), i);
        int j = i + (triple ? 3 : 1);
        while ( j < s.length() ) {
            char c = s.charAt(j);
            if ( c == '\\' ) {
                j += 2;
                continue;
            }
            if ( triple ? s.startsWith(String.valueOf(q).repeat(3), j) : c == q )
                return j + (triple ? 3 : 1);
            if ( !triple && c == '\n' )
                return j;
            j++;
        }
        return s.length();
    }

    /** 1-based line of {@code offset}. */
    public static int line(String s, int offset) {
        int line = 1;
        for ( int i = 0; i < offset && i < s.length(); i++ )
            if ( s.charAt(i) == '\n' )
                line++;
        return line;
    }

    /** 1-based column of {@code offset}. */
    public static int column(String s, int offset) {
        int lineStart = s.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
        if ( offset == 0 )
            lineStart = 0;
        return offset - lineStart + 1;
    }
}
