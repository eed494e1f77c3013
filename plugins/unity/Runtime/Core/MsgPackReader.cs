using System;
using System.Collections.Generic;
using System.Text;

namespace Facecast
{
    /// <summary>The msgpack value kinds the protocol uses.</summary>
    public enum MsgPackKind { Nil, Bool, Int, Float, Str, Bin, Array, Map, Ext }

    /// <summary>float32 from its bits without allocating (BitConverter.Int32BitsToSingle is missing
    /// from older .NET profiles; unsafe code is not wanted in the package).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)]
    struct FloatBits
    {
        [System.Runtime.InteropServices.FieldOffset(0)] public uint Bits;
        [System.Runtime.InteropServices.FieldOffset(0)] public float Value;
    }

    /// <summary>A forward-only msgpack reader over a byte range. Reusable (Reset) so the receive thread
    /// decodes every message without allocating; every length is checked against the bytes left, so
    /// truncated or hostile input raises FacecastProtocolException and never reads out of range.</summary>
    public sealed class MsgPackReader
    {
        public const int MaxDepth = 64;

        byte[] _buf;
        int _pos;
        int _end;

        public MsgPackReader() { }

        public MsgPackReader(byte[] data) { Reset(data, 0, data.Length); }

        public MsgPackReader(byte[] data, int offset, int count) { Reset(data, offset, count); }

        public void Reset(byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (offset < 0 || count < 0 || offset + count > data.Length)
                throw new ArgumentOutOfRangeException("offset", "range outside the buffer");
            _buf = data;
            _pos = offset;
            _end = offset + count;
        }

        public int Position { get { return _pos; } }
        public int Remaining { get { return _end - _pos; } }
        public bool AtEnd { get { return _pos >= _end; } }
        public byte[] Buffer { get { return _buf; } }

        void Need(int n)
        {
            if (n < 0 || _end - _pos < n)
                throw new FacecastProtocolException(
                    "msgpack data is truncated: need " + n + " more byte(s) at offset " + _pos +
                    ", have " + (_end - _pos));
        }

        byte Byte()
        {
            Need(1);
            return _buf[_pos++];
        }

        ushort U16() { Need(2); ushort v = (ushort)((_buf[_pos] << 8) | _buf[_pos + 1]); _pos += 2; return v; }

        uint U32()
        {
            Need(4);
            uint v = ((uint)_buf[_pos] << 24) | ((uint)_buf[_pos + 1] << 16) | ((uint)_buf[_pos + 2] << 8) | _buf[_pos + 3];
            _pos += 4;
            return v;
        }

        ulong U64() { ulong hi = U32(); ulong lo = U32(); return (hi << 32) | lo; }

        static FacecastProtocolException Unexpected(string wanted, byte tag, int at)
        {
            return new FacecastProtocolException(
                "msgpack: expected " + wanted + " at offset " + at + ", found " + Describe(tag));
        }

        static string Describe(byte tag)
        {
            return KindOf(tag).ToString().ToLowerInvariant() + " (0x" + tag.ToString("x2") + ")";
        }

        static MsgPackKind KindOf(byte t)
        {
            if (t <= 0x7f || t >= 0xe0) return MsgPackKind.Int;
            if (t <= 0x8f) return MsgPackKind.Map;
            if (t <= 0x9f) return MsgPackKind.Array;
            if (t <= 0xbf) return MsgPackKind.Str;
            switch (t)
            {
                case 0xc0: return MsgPackKind.Nil;
                case 0xc2: case 0xc3: return MsgPackKind.Bool;
                case 0xc4: case 0xc5: case 0xc6: return MsgPackKind.Bin;
                case 0xca: case 0xcb: return MsgPackKind.Float;
                case 0xcc: case 0xcd: case 0xce: case 0xcf:
                case 0xd0: case 0xd1: case 0xd2: case 0xd3: return MsgPackKind.Int;
                case 0xd9: case 0xda: case 0xdb: return MsgPackKind.Str;
                case 0xdc: case 0xdd: return MsgPackKind.Array;
                case 0xde: case 0xdf: return MsgPackKind.Map;
                case 0xc7: case 0xc8: case 0xc9:
                case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return MsgPackKind.Ext;
                default:
                    throw new FacecastProtocolException("msgpack: invalid type byte 0x" + t.ToString("x2"));
            }
        }

        /// <summary>The kind of the next value, without consuming it.</summary>
        public MsgPackKind PeekKind()
        {
            Need(1);
            return KindOf(_buf[_pos]);
        }

        public bool TryReadNil()
        {
            Need(1);
            if (_buf[_pos] != 0xc0) return false;
            _pos++;
            return true;
        }

        public bool ReadBool()
        {
            int at = _pos;
            byte t = Byte();
            if (t == 0xc2) return false;
            if (t == 0xc3) return true;
            throw Unexpected("a boolean", t, at);
        }

        /// <summary>Any msgpack integer as a long; uint64 values above long.MaxValue are rejected.</summary>
        public long ReadInt64()
        {
            int at = _pos;
            byte t = Byte();
            if (t <= 0x7f) return t;
            if (t >= 0xe0) return (sbyte)t;
            switch (t)
            {
                case 0xcc: return Byte();
                case 0xcd: return U16();
                case 0xce: return U32();
                case 0xcf:
                    ulong u = U64();
                    if (u > long.MaxValue) throw new FacecastProtocolException("msgpack: integer " + u + " too large at offset " + at);
                    return (long)u;
                case 0xd0: return (sbyte)Byte();
                case 0xd1: return (short)U16();
                case 0xd2: return (int)U32();
                case 0xd3: return (long)U64();
            }
            throw Unexpected("an integer", t, at);
        }

        public ulong ReadUInt64()
        {
            int at = _pos;
            Need(1);
            if (_buf[_pos] == 0xcf) { _pos++; return U64(); }
            long v = ReadInt64();
            if (v < 0) throw new FacecastProtocolException("msgpack: expected an unsigned integer at offset " + at + ", got " + v);
            return (ulong)v;
        }

        public int ReadInt32()
        {
            int at = _pos;
            long v = ReadInt64();
            if (v < int.MinValue || v > int.MaxValue)
                throw new FacecastProtocolException("msgpack: integer " + v + " at offset " + at + " does not fit 32 bits");
            return (int)v;
        }

        /// <summary>A float32/float64, or an integer read as a number (Python writes 1.0 as a float but
        /// other encoders may write whole numbers as ints).</summary>
        public double ReadDouble()
        {
            Need(1);
            byte t = _buf[_pos];
            if (t == 0xca)
            {
                _pos++;
                var u = new FloatBits { Bits = U32() };
                return u.Value;
            }
            if (t == 0xcb)
            {
                _pos++;
                ulong bits = U64();
                return BitConverter.Int64BitsToDouble((long)bits);
            }
            if (KindOf(t) == MsgPackKind.Int)
            {
                if (t == 0xcf) { _pos++; return (double)U64(); }
                return ReadInt64();
            }
            throw Unexpected("a number", t, _pos);
        }

        public float ReadSingle() { return (float)ReadDouble(); }

        public int ReadMapHeader()
        {
            int at = _pos;
            byte t = Byte();
            int n;
            if (t >= 0x80 && t <= 0x8f) n = t & 0x0f;
            else if (t == 0xde) n = U16();
            else if (t == 0xdf) n = CheckedCount(U32(), 2, at);
            else throw Unexpected("a map", t, at);
            // Every entry takes at least two bytes: a count beyond that is a lie, not a big map.
            if ((long)n * 2 > _end - _pos) throw new FacecastProtocolException("msgpack: map of " + n + " entries at offset " + at + " is longer than the data");
            return n;
        }

        public int ReadArrayHeader()
        {
            int at = _pos;
            byte t = Byte();
            int n;
            if (t >= 0x90 && t <= 0x9f) n = t & 0x0f;
            else if (t == 0xdc) n = U16();
            else if (t == 0xdd) n = CheckedCount(U32(), 1, at);
            else throw Unexpected("an array", t, at);
            if (n > _end - _pos) throw new FacecastProtocolException("msgpack: array of " + n + " items at offset " + at + " is longer than the data");
            return n;
        }

        int CheckedCount(uint n, int minBytesEach, int at)
        {
            if ((ulong)n * (ulong)minBytesEach > (ulong)(_end - _pos))
                throw new FacecastProtocolException("msgpack: container of " + n + " items at offset " + at + " is longer than the data");
            return (int)n;
        }

        /// <summary>Reads a str header and returns the byte range of its UTF-8 text (no allocation).</summary>
        /// <summary>Reads the next map key when it is a string, giving its bytes' range in Buffer.
        /// Otherwise skips that key and its value and returns false: decoders ignore entries they
        /// cannot name, so one helper keeps every map loop's rule the same.</summary>
        public bool TryReadMapKey(out int offset, out int length)
        {
            if (PeekKind() != MsgPackKind.Str)
            {
                Skip();
                Skip();
                offset = 0;
                length = 0;
                return false;
            }
            ReadStringRange(out offset, out length);
            return true;
        }

        public void ReadStringRange(out int offset, out int length)
        {
            int at = _pos;
            byte t = Byte();
            int n;
            if (t >= 0xa0 && t <= 0xbf) n = t & 0x1f;
            else if (t == 0xd9) n = Byte();
            else if (t == 0xda) n = U16();
            else if (t == 0xdb) n = CheckedLength(U32(), at);
            else throw Unexpected("a string", t, at);
            Need(n);
            offset = _pos;
            length = n;
            _pos += n;
        }

        int CheckedLength(uint n, int at)
        {
            if (n > (uint)(_end - _pos))
                throw new FacecastProtocolException("msgpack: length " + n + " at offset " + at + " runs past the end of the data");
            return (int)n;
        }

        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        public string ReadString()
        {
            int off, len;
            int at = _pos;
            ReadStringRange(out off, out len);
            try { return StrictUtf8.GetString(_buf, off, len); }
            catch (ArgumentException e) { throw new FacecastProtocolException("msgpack: string at offset " + at + " is not valid UTF-8", e); }
        }

        /// <summary>Reads a string or nil; nil gives null.</summary>
        public string ReadStringOrNil() { return TryReadNil() ? null : ReadString(); }

        /// <summary>Consumes the next string and says whether it equals the given UTF-8 bytes: matches map
        /// keys without allocating.</summary>
        public bool ReadStringEquals(byte[] utf8)
        {
            int off, len;
            ReadStringRange(out off, out len);
            return BytesEqual(_buf, off, len, utf8);
        }

        public static bool BytesEqual(byte[] a, int off, int len, byte[] b)
        {
            if (len != b.Length) return false;
            for (int i = 0; i < len; i++) if (a[off + i] != b[i]) return false;
            return true;
        }

        /// <summary>Reads a bin (or str) header and returns its byte range (no copy).</summary>
        public void ReadBinRange(out int offset, out int length)
        {
            int at = _pos;
            Need(1);
            byte t = _buf[_pos];
            if (KindOf(t) == MsgPackKind.Str) { ReadStringRange(out offset, out length); return; }
            _pos++;
            int n;
            if (t == 0xc4) n = Byte();
            else if (t == 0xc5) n = U16();
            else if (t == 0xc6) n = CheckedLength(U32(), at);
            else throw Unexpected("binary data", t, at);
            Need(n);
            offset = _pos;
            length = n;
            _pos += n;
        }

        public byte[] ReadBytes()
        {
            int off, len;
            ReadBinRange(out off, out len);
            var copy = new byte[len];
            System.Buffer.BlockCopy(_buf, off, copy, 0, len);
            return copy;
        }

        /// <summary>Skips one value of any kind (with nesting), e.g. an unknown key's value.</summary>
        public void Skip() { Skip(0); }

        void Skip(int depth)
        {
            if (depth > MaxDepth) throw new FacecastProtocolException("msgpack: nesting deeper than " + MaxDepth);
            int at = _pos;
            Need(1);
            byte t = _buf[_pos];
            switch (KindOf(t))
            {
                case MsgPackKind.Nil: _pos++; return;
                case MsgPackKind.Bool: _pos++; return;
                case MsgPackKind.Int: if (t == 0xcf) { _pos++; U64(); } else ReadInt64(); return;
                case MsgPackKind.Float: ReadDouble(); return;
                case MsgPackKind.Str: { int o, l; ReadStringRange(out o, out l); return; }
                case MsgPackKind.Bin: { int o, l; ReadBinRange(out o, out l); return; }
                case MsgPackKind.Array:
                    {
                        int n = ReadArrayHeader();
                        for (int i = 0; i < n; i++) Skip(depth + 1);
                        return;
                    }
                case MsgPackKind.Map:
                    {
                        int n = ReadMapHeader();
                        for (int i = 0; i < 2 * n; i++) Skip(depth + 1);
                        return;
                    }
                case MsgPackKind.Ext:
                    {
                        _pos++;
                        int n;
                        switch (t)
                        {
                            case 0xd4: n = 1; break;
                            case 0xd5: n = 2; break;
                            case 0xd6: n = 4; break;
                            case 0xd7: n = 8; break;
                            case 0xd8: n = 16; break;
                            case 0xc7: n = Byte(); break;
                            case 0xc8: n = U16(); break;
                            default: n = CheckedLength(U32(), at); break;
                        }
                        Need(n + 1);
                        _pos += n + 1;
                        return;
                    }
            }
        }

        /// <summary>Any value as plain objects: null, bool, long (ulong above long.MaxValue), double,
        /// string, byte[], List&lt;object&gt;, Dictionary&lt;string, object&gt;. Allocates: for replies and
        /// status messages, not per-frame data. Map keys must be strings.</summary>
        public object ReadObject() { return ReadObject(0); }

        object ReadObject(int depth)
        {
            if (depth > MaxDepth) throw new FacecastProtocolException("msgpack: nesting deeper than " + MaxDepth);
            int at = _pos;
            Need(1);
            byte t = _buf[_pos];
            switch (KindOf(t))
            {
                case MsgPackKind.Nil: _pos++; return null;
                case MsgPackKind.Bool: return ReadBool();
                case MsgPackKind.Int:
                    if (t == 0xcf)
                    {
                        _pos++;
                        ulong u = U64();
                        if (u > long.MaxValue) return u;
                        return (long)u;
                    }
                    return ReadInt64();
                case MsgPackKind.Float: return ReadDouble();
                case MsgPackKind.Str: return ReadString();
                case MsgPackKind.Bin: return ReadBytes();
                case MsgPackKind.Array:
                    {
                        int n = ReadArrayHeader();
                        var list = new List<object>(n);
                        for (int i = 0; i < n; i++) list.Add(ReadObject(depth + 1));
                        return list;
                    }
                case MsgPackKind.Map:
                    {
                        int n = ReadMapHeader();
                        var map = new Dictionary<string, object>(n);
                        for (int i = 0; i < n; i++)
                        {
                            if (PeekKind() != MsgPackKind.Str)
                                throw new FacecastProtocolException("msgpack: map key at offset " + _pos + " is not a string");
                            string key = ReadString();
                            map[key] = ReadObject(depth + 1);
                        }
                        return map;
                    }
                default:
                    throw new FacecastProtocolException("msgpack: extension types are not used by the protocol (offset " + at + ")");
            }
        }

        /// <summary>Decodes one complete value and rejects trailing bytes.</summary>
        public static object Decode(byte[] data, int offset, int count)
        {
            var r = new MsgPackReader(data, offset, count);
            object v = r.ReadObject();
            if (!r.AtEnd) throw new FacecastProtocolException("msgpack: " + r.Remaining + " unexpected byte(s) after the value");
            return v;
        }

        public static object Decode(byte[] data) { return Decode(data, 0, data.Length); }
    }
}
