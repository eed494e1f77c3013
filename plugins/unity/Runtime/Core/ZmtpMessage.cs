using System;

namespace Facecast
{
    /// <summary>A multipart ZeroMQ message whose part buffers are kept and reused between messages, so
    /// the receive loop allocates only when a part is larger than any before it.</summary>
    public sealed class ZmtpMessage
    {
        public const int MaxParts = 64;

        byte[][] _parts = new byte[4][];
        int[] _lengths = new int[4];

        public int Count { get; private set; }

        public byte[] Data(int i) { Check(i); return _parts[i]; }

        public int Length(int i) { Check(i); return _lengths[i]; }

        void Check(int i)
        {
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException("i", "message has " + Count + " part(s), asked for part " + i);
        }

        public void Clear() { Count = 0; }

        /// <summary>Appends a part of the given length and returns its buffer (at least that long).</summary>
        public byte[] Append(int length)
        {
            if (Count >= MaxParts) throw new FacecastProtocolException("ZMTP: message has more than " + MaxParts + " parts");
            if (Count == _parts.Length)
            {
                Array.Resize(ref _parts, _parts.Length * 2);
                Array.Resize(ref _lengths, _lengths.Length * 2);
            }
            byte[] b = _parts[Count];
            if (b == null || b.Length < length) _parts[Count] = b = new byte[Math.Max(length, 64)];
            _lengths[Count] = length;
            Count++;
            return b;
        }

        /// <summary>True when part i starts with the given bytes (topic prefix test).</summary>
        public bool StartsWith(int i, byte[] prefix)
        {
            if (i >= Count || _lengths[i] < prefix.Length) return false;
            byte[] b = _parts[i];
            for (int k = 0; k < prefix.Length; k++) if (b[k] != prefix[k]) return false;
            return true;
        }

        public byte[] CopyPart(int i)
        {
            Check(i);
            var a = new byte[_lengths[i]];
            Buffer.BlockCopy(_parts[i], 0, a, 0, _lengths[i]);
            return a;
        }
    }
}
