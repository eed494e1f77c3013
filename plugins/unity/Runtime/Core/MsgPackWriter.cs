using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace Facecast
{
    /// <summary>A msgpack writer into a growable, reusable buffer (Clear between messages). Writes the
    /// smallest encoding for each value, str for strings and bin for bytes, as the runtime expects.</summary>
    public sealed class MsgPackWriter
    {
        byte[] _buf;
        int _len;

        public MsgPackWriter(int capacity = 256) { _buf = new byte[Math.Max(16, capacity)]; }

        public byte[] Buffer { get { return _buf; } }
        public int Length { get { return _len; } }
        public void Clear() { _len = 0; }

        public byte[] ToArray()
        {
            var a = new byte[_len];
            System.Buffer.BlockCopy(_buf, 0, a, 0, _len);
            return a;
        }

        void Ensure(int n)
        {
            if (_len + n <= _buf.Length) return;
            int size = _buf.Length;
            while (size < _len + n) size *= 2;
            Array.Resize(ref _buf, size);
        }

        void B(byte b) { _buf[_len++] = b; }

        void U16(int v) { B((byte)(v >> 8)); B((byte)v); }

        void U32(uint v) { B((byte)(v >> 24)); B((byte)(v >> 16)); B((byte)(v >> 8)); B((byte)v); }

        void U64(ulong v) { U32((uint)(v >> 32)); U32((uint)v); }

        public void WriteNil() { Ensure(1); B(0xc0); }

        public void Write(bool v) { Ensure(1); B(v ? (byte)0xc3 : (byte)0xc2); }

        public void Write(long v)
        {
            Ensure(9);
            if (v >= 0) { Write((ulong)v); return; }
            if (v >= -32) B((byte)(sbyte)v);
            else if (v >= sbyte.MinValue) { B(0xd0); B((byte)(sbyte)v); }
            else if (v >= short.MinValue) { B(0xd1); U16((ushort)(short)v); }
            else if (v >= int.MinValue) { B(0xd2); U32((uint)(int)v); }
            else { B(0xd3); U64((ulong)v); }
        }

        public void Write(ulong v)
        {
            Ensure(9);
            if (v <= 0x7f) B((byte)v);
            else if (v <= 0xff) { B(0xcc); B((byte)v); }
            else if (v <= 0xffff) { B(0xcd); U16((int)v); }
            else if (v <= 0xffffffff) { B(0xce); U32((uint)v); }
            else { B(0xcf); U64(v); }
        }

        public void Write(int v) { Write((long)v); }

        public void Write(double v)
        {
            Ensure(9);
            B(0xcb);
            U64((ulong)BitConverter.DoubleToInt64Bits(v));
        }

        public void Write(string s)
        {
            if (s == null) { WriteNil(); return; }
            int n = Encoding.UTF8.GetByteCount(s);
            Ensure(5 + n);
            if (n <= 31) B((byte)(0xa0 | n));
            else if (n <= 0xff) { B(0xd9); B((byte)n); }
            else if (n <= 0xffff) { B(0xda); U16(n); }
            else { B(0xdb); U32((uint)n); }
            _len += Encoding.UTF8.GetBytes(s, 0, s.Length, _buf, _len);
        }

        public void WriteBin(byte[] data, int offset, int count)
        {
            Ensure(5 + count);
            if (count <= 0xff) { B(0xc4); B((byte)count); }
            else if (count <= 0xffff) { B(0xc5); U16(count); }
            else { B(0xc6); U32((uint)count); }
            System.Buffer.BlockCopy(data, offset, _buf, _len, count);
            _len += count;
        }

        public void WriteMapHeader(int n)
        {
            Ensure(5);
            if (n <= 15) B((byte)(0x80 | n));
            else if (n <= 0xffff) { B(0xde); U16(n); }
            else { B(0xdf); U32((uint)n); }
        }

        public void WriteArrayHeader(int n)
        {
            Ensure(5);
            if (n <= 15) B((byte)(0x90 | n));
            else if (n <= 0xffff) { B(0xdc); U16(n); }
            else { B(0xdd); U32((uint)n); }
        }

        /// <summary>Writes plain objects: null, bool, integers, float/double, string, byte[],
        /// IDictionary with string keys, IList / arrays. Anything else is a programming error.</summary>
        public void WriteObject(object o)
        {
            if (o == null) { WriteNil(); return; }
            if (o is bool) { Write((bool)o); return; }
            if (o is string) { Write((string)o); return; }
            if (o is byte[]) { var b = (byte[])o; WriteBin(b, 0, b.Length); return; }
            if (o is int) { Write((long)(int)o); return; }
            if (o is long) { Write((long)o); return; }
            if (o is uint) { Write((ulong)(uint)o); return; }
            if (o is ulong) { Write((ulong)o); return; }
            if (o is short || o is sbyte) { Write(Convert.ToInt64(o)); return; }
            if (o is ushort || o is byte) { Write(Convert.ToUInt64(o)); return; }
            if (o is float) { Write((double)(float)o); return; }
            if (o is double) { Write((double)o); return; }
            var dict = o as IDictionary;
            if (dict != null)
            {
                WriteMapHeader(dict.Count);
                foreach (DictionaryEntry e in dict)
                {
                    var key = e.Key as string;
                    if (key == null) throw new ArgumentException("msgpack map keys must be strings, got " + e.Key);
                    Write(key);
                    WriteObject(e.Value);
                }
                return;
            }
            var list = o as IList;
            if (list != null)
            {
                WriteArrayHeader(list.Count);
                foreach (var item in list) WriteObject(item);
                return;
            }
            throw new ArgumentException("cannot write a " + o.GetType().Name + " as msgpack");
        }

        public static byte[] Encode(object o)
        {
            var w = new MsgPackWriter();
            w.WriteObject(o);
            return w.ToArray();
        }
    }
}
