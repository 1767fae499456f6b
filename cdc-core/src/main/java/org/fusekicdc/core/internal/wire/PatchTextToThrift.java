package org.fusekicdc.core.internal.wire;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.langtagx.LangTagX;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.binary.RDFChangesWriterBinary;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.vocabulary.RDF;

/**
 * Writes a patch's RDF Patch text as RDF Patch binary: exactly the bytes Jena's
 * {@link RDFChangesWriterBinary} writes for it (Thrift compact protocol), made straight from the
 * text bytes, without Jena's tokenizer, nodes or Thrift objects.
 * <p>
 * It reads the form the change log's writer ({@code RDFChangesWriterText}) gives every patch: one
 * row a line, each token followed by one space, the row ending {@code ".\n"}; IRIs and blank nodes
 * as {@code <...>} and {@code <_:...>}; literals as quoted strings with {@code @lang} or
 * {@code ^^<datatype>}, or bare numbers and booleans. From the first row it does not recognise
 * (another term form or escape, a row kind the log does not write, a line over {@link #MAX_LINE}
 * bytes, text that is not well-formed UTF-8) the rest of the patch goes through Jena's reader and
 * binary writer, so the output is always Jena's, errors included.
 * <p>
 * Memory: one line of text and the binary rows of up to {@link #FLUSH_AT} bytes.
 */
public final class PatchTextToThrift {
    /** Longest line read here; a longer one (a very large literal) is left to Jena. */
    static final int MAX_LINE = 1 << 20;
    private static final int FLUSH_AT = 8192;

    // Thrift compact protocol: a field header is (id delta << 4) | type; 0x0C struct, 0x08 string, 0x05 i32.
    private static final int STOP = 0x00;
    private static final int ROW_HEADER = 0x1C;
    private static final int ROW_ADD = 0x2C;
    private static final int ROW_DELETE = 0x3C;
    private static final int ROW_PREFIX_ADD = 0x4C;
    private static final int ROW_PREFIX_DELETE = 0x5C;
    private static final int ROW_TXN = 0x65;
    private static final int TERM_IRI = 0x1C;
    private static final int TERM_BNODE = 0x2C;
    private static final int TERM_LITERAL = 0x3C;
    /** A struct field following the field before it (delta 1), and a string field so. */
    private static final int NEXT_STRUCT = 0x1C;
    private static final int NEXT_STRING = 0x18;
    /** A string field two ids after the one before (a literal's datatype after its lexical form; a prefix without a graph). */
    private static final int SKIP_ONE_STRING = 0x28;
    // PatchTxn values, zigzag-encoded.
    private static final int TX = 0, TC = 2, TA = 4, SEGMENT = 6;

    // Constants, not Jena's vocabulary objects: those would start Jena's initialisation from here.
    private static final byte[] XSD_STRING = ascii(XSDDatatype.XSD + "#string");
    private static final byte[] XSD_INTEGER = ascii(XSDDatatype.XSD + "#integer");
    private static final byte[] XSD_DECIMAL = ascii(XSDDatatype.XSD + "#decimal");
    private static final byte[] XSD_DOUBLE = ascii(XSDDatatype.XSD + "#double");
    private static final byte[] XSD_BOOLEAN = ascii(XSDDatatype.XSD + "#boolean");
    private static final byte[] RDF_LANG_STRING = ascii(RDF.uri + "langString");
    private static final byte[] RDF_DIR_LANG_STRING = ascii(RDF.uri + "dirLangString");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");

    private final InputStream in;
    private final OutputStream out;
    private byte[] buf = new byte[16384];
    private int pos;
    private int limit;
    private boolean eof;
    /** Where the current line's parse is; the line ends at {@link #lineEnd}, a '\n' that no scan accepts. */
    private int p;
    private int lineEnd;
    private byte[] ob = new byte[16384];
    private int op;
    /** Language tags as written, to the form Jena gives them when it reads them. */
    private final Map<String, byte[]> langTags = new HashMap<>();

    private PatchTextToThrift(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /**
     * Write the RDF Patch text read from {@code in} to {@code out} as RDF Patch binary.
     *
     * @return true when every row was converted here, false when part of the patch went through Jena
     * @throws IOException when reading or writing fails
     * @throws org.apache.jena.rdfpatch.PatchException (or another runtime exception of Jena's reader) when the text is not RDF Patch
     */
    public static boolean transcode(InputStream in, OutputStream out) throws IOException {
        return new PatchTextToThrift(in, out).run();
    }

    /** Jena's way: read the text into {@code filter}'s changes, written in binary. */
    public static void viaJena(InputStream in, UnaryOperator<RDFChanges> filter, OutputStream out) {
        RDFChangesWriterBinary.writeBinary(out, changes -> new RDFPatchReaderText(in).apply(filter.apply(changes)));
    }

    private boolean run() throws IOException {
        for ( ;; ) {
            int nl = nextLine();
            if ( nl < 0 )
                break;
            int rowStart = op;
            if ( !row(pos, nl) ) {
                op = rowStart;
                return rest();
            }
            pos = nl + 1;
            if ( op >= FLUSH_AT )
                flushRows();
        }
        // A last line without its newline, or one too long.
        if ( pos < limit )
            return rest();
        flushRows();
        out.flush();
        return true;
    }

    /** The rest of the patch, from the current line on, through Jena. */
    private boolean rest() throws IOException {
        flushRows();
        viaJena(new SequenceInputStream(new ByteArrayInputStream(buf, pos, limit - pos), in), UnaryOperator.identity(), out);
        return false;
    }

    private void flushRows() throws IOException {
        out.write(ob, 0, op);
        op = 0;
    }

    /** The index of the newline ending the line at {@link #pos}, reading more as needed; -1 at the end or for a line too long. */
    private int nextLine() throws IOException {
        int scan = pos;
        for ( ;; ) {
            for ( int i = scan ; i < limit ; i++ )
                if ( buf[i] == '\n' )
                    return i;
            if ( eof )
                return -1;
            if ( pos > 0 ) {
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                limit -= pos;
                pos = 0;
            }
            if ( limit == buf.length ) {
                if ( buf.length >= MAX_LINE )
                    return -1;
                buf = Arrays.copyOf(buf, Math.min(MAX_LINE, buf.length * 2));
            }
            scan = limit;
            int n = in.read(buf, limit, buf.length - limit);
            if ( n < 0 )
                eof = true;
            else
                limit += n;
        }
    }

    // ---- One row

    private boolean row(int start, int end) {
        p = start;
        lineEnd = end;
        byte[] b = buf;
        int c0 = b[p];
        int c1 = c0 == '\n' ? '\n' : b[p + 1];
        if ( c1 == ' ' ) {
            p += 2;
            return switch ( c0 ) {
                case 'A' -> data(ROW_ADD);
                case 'D' -> data(ROW_DELETE);
                case 'H' -> header();
                case 'Z' -> txn(SEGMENT);
                default -> false;
            };
        }
        if ( c1 == '\n' || b[p + 2] != ' ' )
            return false;
        p += 3;
        if ( c0 == 'T' )
            return switch ( c1 ) {
                case 'X' -> txn(TX);
                case 'C' -> txn(TC);
                case 'A' -> txn(TA);
                default -> false;
            };
        if ( c0 == 'P' )
            return switch ( c1 ) {
                case 'A' -> prefix(ROW_PREFIX_ADD, true);
                case 'D' -> prefix(ROW_PREFIX_DELETE, false);
                default -> false;
            };
        return false;
    }

    private boolean atRowEnd() {
        return buf[p] == '.' && p + 1 == lineEnd;
    }

    private boolean txn(int value) {
        put(ROW_TXN);
        put(value);
        put(STOP);
        return atRowEnd();
    }

    private boolean header() {
        put(ROW_HEADER);
        put(NEXT_STRING);
        if ( !word() )
            return false;
        put(NEXT_STRUCT);
        if ( !term() )
            return false;
        put(STOP);
        put(STOP);
        return atRowEnd();
    }

    private boolean data(int kind) {
        put(kind);
        for ( int i = 0 ; i < 3 ; i++ ) {
            put(NEXT_STRUCT);
            if ( !term() )
                return false;
        }
        if ( !atRowEnd() ) {
            put(NEXT_STRUCT);
            if ( !term() || !atRowEnd() )
                return false;
        }
        put(STOP);
        put(STOP);
        return true;
    }

    /** PA "prefix" <iri> [graph] . or PD "prefix" [graph] . : the binary row has the graph first. */
    private boolean prefix(int kind, boolean withIri) {
        put(kind);
        int fields = op;
        put(SKIP_ONE_STRING);
        if ( !plainString() )
            return false;
        if ( withIri ) {
            put(NEXT_STRING);
            if ( !(buf[p] == '"' ? quoted() : iriText()) || buf[p] != ' ' )
                return false;
            p++;
        }
        if ( !atRowEnd() ) {
            int graph = op;
            put(NEXT_STRUCT);
            if ( !term() || !atRowEnd() )
                return false;
            ob[fields] = NEXT_STRING;
            byte[] g = Arrays.copyOfRange(ob, graph, op);
            System.arraycopy(ob, fields, ob, fields + g.length, graph - fields);
            System.arraycopy(g, 0, ob, fields, g.length);
        }
        put(STOP);
        put(STOP);
        return true;
    }

    /** A header's field name: a keyword of ASCII letters, digits, '_' and '-'. */
    private boolean word() {
        byte[] b = buf;
        int start = p;
        if ( !isLetter(b[p]) )
            return false;
        while ( isLetter(b[p]) || isDigit(b[p]) || b[p] == '_' || b[p] == '-' )
            p++;
        if ( b[p] != ' ' )
            return false;
        putString(b, start, p - start);
        p++;
        return true;
    }

    // ---- Terms: the RDF_Term union, and the space after the term

    private boolean term() {
        int c = buf[p];
        boolean ok;
        if ( c == '<' )
            ok = iriOrBlankNode();
        else if ( c == '"' )
            ok = literal();
        else if ( c == 't' || c == 'f' )
            ok = bool();
        else
            ok = number();
        if ( !ok || buf[p] != ' ' )
            return false;
        p++;
        return true;
    }

    private boolean iriOrBlankNode() {
        byte[] b = buf;
        if ( b[p + 1] == '_' && b[p + 2] == ':' ) {
            // <_:label>: how Jena's RDF Patch text writes a blank node.
            if ( b[p + 3] == '>' )
                return false;
            put(TERM_BNODE);
            put(NEXT_STRING);
            if ( !iriChars(p + 3) )
                return false;
        } else {
            put(TERM_IRI);
            put(NEXT_STRING);
            if ( !iriText() )
                return false;
        }
        put(STOP);
        put(STOP);
        return true;
    }

    /** The IRI {@code <...>} at p, as a string with its length. */
    private boolean iriText() {
        if ( buf[p] != '<' || buf[p + 1] == '<' )
            return false;
        return iriChars(p + 1);
    }

    /** The characters from {@code start} to the next '>', when Jena's tokenizer takes each as it is. */
    private boolean iriChars(int start) {
        byte[] b = buf;
        int i = start;
        for ( ;; ) {
            int c = b[i] & 0xFF;
            if ( c == '>' )
                break;
            if ( c >= 0x80 ) {
                int n = utf8(i);
                if ( n < 0 )
                    return false;
                i += n;
                continue;
            }
            if ( c <= ' ' || c == 0x7F || c == '<' || c == '"' || c == '{' || c == '}' || c == '|' || c == '^' || c == '`' || c == '\\' )
                return false;
            i++;
        }
        putString(b, start, i - start);
        p = i + 1;
        return true;
    }

    /** A quoted string, then nothing, {@code @lang} or {@code ^^<datatype>}. */
    private boolean literal() {
        put(TERM_LITERAL);
        put(NEXT_STRING);
        if ( !quoted() )
            return false;
        byte[] b = buf;
        int c = b[p];
        if ( c == '@' ) {
            put(NEXT_STRING);
            if ( !langTag() )
                return false;
        } else if ( c == '^' ) {
            if ( b[p + 1] != '^' )
                return false;
            p += 2;
            int field = op;
            put(SKIP_ONE_STRING);
            int iri = p;
            if ( !iriText() )
                return false;
            int from = iri + 1;
            int to = p - 1;
            if ( Arrays.equals(b, from, to, RDF_LANG_STRING, 0, RDF_LANG_STRING.length)
                 || Arrays.equals(b, from, to, RDF_DIR_LANG_STRING, 0, RDF_DIR_LANG_STRING.length) )
                return false;
            // Jena's binary writer leaves out the datatype of an xsd:string.
            if ( Arrays.equals(b, from, to, XSD_STRING, 0, XSD_STRING.length) )
                op = field;
        } else if ( c != ' ' ) {
            return false;
        }
        put(STOP);
        put(STOP);
        return true;
    }

    /** A quoted string standing alone (a prefix or its IRI), and the space after it. */
    private boolean plainString() {
        if ( buf[p] != '"' || !quoted() || buf[p] != ' ' )
            return false;
        p++;
        return true;
    }

    /** The string {@code "..."} at p, its escapes undone, with its length. */
    private boolean quoted() {
        byte[] b = buf;
        int lengthAt = op;
        put(0);
        int i = p + 1;
        int run = i;
        for ( ;; ) {
            int c = b[i] & 0xFF;
            if ( c == '"' )
                break;
            if ( c == '\\' ) {
                copy(b, run, i - run);
                i = escape(i);
                if ( i < 0 )
                    return false;
                run = i;
            } else if ( c >= 0x80 ) {
                int n = utf8(i);
                if ( n < 0 )
                    return false;
                i += n;
            } else if ( c < ' ' ) {
                return false;
            } else {
                i++;
            }
        }
        copy(b, run, i - run);
        endLength(lengthAt);
        p = i + 1;
        return true;
    }

    /** The escape at {@code i} written out; the index after it, or -1 for one left to Jena. */
    private int escape(int i) {
        byte[] b = buf;
        switch ( b[i + 1] ) {
            case 'n' -> put('\n');
            case 't' -> put('\t');
            case 'r' -> put('\r');
            case 'f' -> put('\f');
            case 'b' -> put('\b');
            case '"' -> put('"');
            case '\'' -> put('\'');
            case '\\' -> put('\\');
            case 'u' -> {
                int cp = hex(i + 2, 4);
                if ( cp < 0 || Character.isSurrogate((char)cp) )
                    return -1;
                putCodePoint(cp);
                return i + 6;
            }
            case 'U' -> {
                int cp = hex(i + 2, 8);
                if ( cp < 0 || cp > Character.MAX_CODE_POINT || (cp <= 0xFFFF && Character.isSurrogate((char)cp)) )
                    return -1;
                putCodePoint(cp);
                return i + 10;
            }
            default -> {
                return -1;
            }
        }
        return i + 2;
    }

    private int hex(int i, int digits) {
        long v = 0;
        for ( int k = 0 ; k < digits ; k++ ) {
            int d = Character.digit(buf[i + k], 16);
            if ( d < 0 )
                return -1;
            v = (v << 4) | d;
        }
        return v > Integer.MAX_VALUE ? -1 : (int)v;
    }

    /** {@code @tag} at p, as Jena's reader gives it (formatted); a base direction ({@code --ltr}) is left to Jena. */
    private boolean langTag() {
        byte[] b = buf;
        int start = ++p;
        while ( isLetter(b[p]) )
            p++;
        if ( p == start )
            return false;
        while ( b[p] == '-' ) {
            int subtag = ++p;
            while ( isLetter(b[p]) || isDigit(b[p]) )
                p++;
            if ( p == subtag )
                return false;
        }
        String tag = new String(b, start, p - start, StandardCharsets.ISO_8859_1);
        byte[] formatted = langTags.get(tag);
        if ( formatted == null ) {
            formatted = LangTagX.formatLanguageTag(tag).getBytes(StandardCharsets.UTF_8);
            if ( langTags.size() < 64 )
                langTags.put(tag, formatted);
        }
        putString(formatted, 0, formatted.length);
        return true;
    }

    /** A bare integer, decimal or double, as Jena's tokenizer reads one. */
    private boolean number() {
        byte[] b = buf;
        int start = p;
        int i = p;
        if ( b[i] == '+' || b[i] == '-' )
            i++;
        int digits = i;
        while ( isDigit(b[i]) )
            i++;
        int before = i - digits;
        boolean dot = b[i] == '.';
        int after = 0;
        if ( dot ) {
            digits = ++i;
            while ( isDigit(b[i]) )
                i++;
            after = i - digits;
        }
        if ( before + after == 0 )
            return false;
        boolean exponent = b[i] == 'e' || b[i] == 'E';
        if ( exponent ) {
            i++;
            if ( b[i] == '+' || b[i] == '-' )
                i++;
            digits = i;
            while ( isDigit(b[i]) )
                i++;
            if ( i == digits )
                return false;
        } else if ( dot && after == 0 ) {
            // "1." is the integer 1 and a dot to the tokenizer.
            return false;
        }
        p = i;
        typedLiteral(b, start, i - start, exponent ? XSD_DOUBLE : dot ? XSD_DECIMAL : XSD_INTEGER);
        return true;
    }

    private boolean bool() {
        byte[] word = buf[p] == 't' ? TRUE : FALSE;
        for ( int k = 0 ; k < word.length ; k++ )
            if ( buf[p + k] != word[k] )
                return false;
        p += word.length;
        typedLiteral(word, 0, word.length, XSD_BOOLEAN);
        return true;
    }

    private void typedLiteral(byte[] src, int off, int len, byte[] datatype) {
        put(TERM_LITERAL);
        put(NEXT_STRING);
        putString(src, off, len);
        put(SKIP_ONE_STRING);
        putString(datatype, 0, datatype.length);
        put(STOP);
        put(STOP);
    }

    // ---- Text

    private static boolean isLetter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean continuation(byte c) {
        return (c & 0xC0) == 0x80;
    }

    /** The length of the well-formed UTF-8 sequence at {@code i}, or -1 (overlong, surrogate, past U+10FFFF, cut). */
    private int utf8(int i) {
        byte[] b = buf;
        int c = b[i] & 0xFF;
        if ( c < 0xC2 )
            return -1;
        if ( c < 0xE0 )
            return continuation(b[i + 1]) ? 2 : -1;
        int c1 = b[i + 1] & 0xFF;
        if ( c < 0xF0 ) {
            int lo = c == 0xE0 ? 0xA0 : 0x80;
            int hi = c == 0xED ? 0x9F : 0xBF;
            return c1 >= lo && c1 <= hi && continuation(b[i + 2]) ? 3 : -1;
        }
        if ( c < 0xF5 ) {
            int lo = c == 0xF0 ? 0x90 : 0x80;
            int hi = c == 0xF4 ? 0x8F : 0xBF;
            return c1 >= lo && c1 <= hi && continuation(b[i + 2]) && continuation(b[i + 3]) ? 4 : -1;
        }
        return -1;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- Output

    private void put(int x) {
        if ( op == ob.length )
            ensure(1);
        ob[op++] = (byte)x;
    }

    private void ensure(int n) {
        if ( op + n > ob.length )
            ob = Arrays.copyOf(ob, Math.max(ob.length * 2, op + n));
    }

    private void copy(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, ob, op, len);
        op += len;
    }

    /** A Thrift string: its length as a varint, then its bytes. */
    private void putString(byte[] src, int off, int len) {
        ensure(5 + len);
        varint(len);
        System.arraycopy(src, off, ob, op, len);
        op += len;
    }

    private void varint(int n) {
        while ( (n & ~0x7F) != 0 ) {
            ob[op++] = (byte)((n & 0x7F) | 0x80);
            n >>>= 7;
        }
        ob[op++] = (byte)n;
    }

    /** Write the length of the string after the one byte kept for it at {@code at}, moving the string if its length needs more. */
    private void endLength(int at) {
        int len = op - at - 1;
        if ( len < 0x80 ) {
            ob[at] = (byte)len;
            return;
        }
        int size = 1;
        for ( int n = len ; (n & ~0x7F) != 0 ; n >>>= 7 )
            size++;
        ensure(size - 1);
        System.arraycopy(ob, at + 1, ob, at + size, len);
        int end = op + size - 1;
        op = at;
        varint(len);
        op = end;
    }

    private void putCodePoint(int cp) {
        ensure(4);
        if ( cp < 0x80 ) {
            ob[op++] = (byte)cp;
        } else if ( cp < 0x800 ) {
            ob[op++] = (byte)(0xC0 | (cp >> 6));
            ob[op++] = (byte)(0x80 | (cp & 0x3F));
        } else if ( cp < 0x10000 ) {
            ob[op++] = (byte)(0xE0 | (cp >> 12));
            ob[op++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
            ob[op++] = (byte)(0x80 | (cp & 0x3F));
        } else {
            ob[op++] = (byte)(0xF0 | (cp >> 18));
            ob[op++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
            ob[op++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
            ob[op++] = (byte)(0x80 | (cp & 0x3F));
        }
    }
}
