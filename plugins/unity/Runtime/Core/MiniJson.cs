using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Facecast
{
    /// <summary>A strict JSON reader (RFC 8259) into Dictionary&lt;string, object&gt;, List&lt;object&gt;,
    /// double, string, bool and null; enough for bake files without shipping a JSON library, and
    /// usable outside Unity (JsonUtility cannot read arbitrary maps). Errors name line and column.</summary>
    public sealed class MiniJson
    {
        const int MaxDepth = 128;
        readonly string _s;
        int _i;

        MiniJson(string s) { _s = s; }

        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var p = new MiniJson(text);
            p.Ws();
            if (p._i < text.Length && text[p._i] == '\uFEFF') { p._i++; p.Ws(); }
            object v = p.Value(0);
            p.Ws();
            if (p._i != text.Length) throw p.Error("unexpected text after the JSON value");
            return v;
        }

        FormatException Error(string what)
        {
            int line = 1, col = 1;
            for (int k = 0; k < _i && k < _s.Length; k++)
            {
                if (_s[k] == '\n') { line++; col = 1; }
                else col++;
            }
            return new FormatException("JSON: " + what + " at line " + line + ", column " + col);
        }

        void Ws()
        {
            while (_i < _s.Length)
            {
                char c = _s[_i];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') _i++;
                else break;
            }
        }

        object Value(int depth)
        {
            if (depth > MaxDepth) throw Error("nesting too deep");
            if (_i >= _s.Length) throw Error("unexpected end of input");
            char c = _s[_i];
            switch (c)
            {
                case '{': return Obj(depth);
                case '[': return Arr(depth);
                case '"': return Str();
                case 't': Lit("true"); return true;
                case 'f': Lit("false"); return false;
                case 'n': Lit("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return Num();
                    throw Error("unexpected character '" + c + "'");
            }
        }

        void Lit(string word)
        {
            if (string.CompareOrdinal(_s, _i, word, 0, word.Length) != 0) throw Error("expected " + word);
            _i += word.Length;
        }

        Dictionary<string, object> Obj(int depth)
        {
            var d = new Dictionary<string, object>();
            _i++;
            Ws();
            if (_i < _s.Length && _s[_i] == '}') { _i++; return d; }
            while (true)
            {
                Ws();
                if (_i >= _s.Length || _s[_i] != '"') throw Error("expected a string key");
                string k = Str();
                Ws();
                if (_i >= _s.Length || _s[_i] != ':') throw Error("expected ':'");
                _i++;
                Ws();
                d[k] = Value(depth + 1);
                Ws();
                if (_i >= _s.Length) throw Error("unexpected end of input in an object");
                if (_s[_i] == ',') { _i++; continue; }
                if (_s[_i] == '}') { _i++; return d; }
                throw Error("expected ',' or '}'");
            }
        }

        List<object> Arr(int depth)
        {
            var a = new List<object>();
            _i++;
            Ws();
            if (_i < _s.Length && _s[_i] == ']') { _i++; return a; }
            while (true)
            {
                Ws();
                a.Add(Value(depth + 1));
                Ws();
                if (_i >= _s.Length) throw Error("unexpected end of input in an array");
                if (_s[_i] == ',') { _i++; continue; }
                if (_s[_i] == ']') { _i++; return a; }
                throw Error("expected ',' or ']'");
            }
        }

        string Str()
        {
            _i++;
            var sb = new StringBuilder();
            while (true)
            {
                if (_i >= _s.Length) throw Error("unterminated string");
                char c = _s[_i++];
                if (c == '"') return sb.ToString();
                if (c < 0x20) throw Error("control character in a string");
                if (c != '\\') { sb.Append(c); continue; }
                if (_i >= _s.Length) throw Error("unterminated escape");
                char e = _s[_i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        int code;
                        if (_i + 4 > _s.Length || !int.TryParse(_s.Substring(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code))
                            throw Error("bad \\u escape");
                        sb.Append((char)code);
                        _i += 4;
                        break;
                    default: throw Error("bad escape '\\" + e + "'");
                }
            }
        }

        double Num()
        {
            int start = _i;
            if (_s[_i] == '-') _i++;
            while (_i < _s.Length && "0123456789+-.eE".IndexOf(_s[_i]) >= 0) _i++;
            double v;
            if (!double.TryParse(_s.Substring(start, _i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                throw Error("bad number '" + _s.Substring(start, _i - start) + "'");
            return v;
        }
    }
}
