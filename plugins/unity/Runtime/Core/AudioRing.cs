using System;

namespace Facecast
{
    /// <summary>A fixed-size float ring buffer between the audio thread (Write: a copy under a lock,
    /// nothing else) and the main thread (Read). When the reader falls behind, the oldest samples are
    /// dropped and counted rather than blocking the audio thread.</summary>
    public sealed class AudioRing
    {
        readonly float[] _buf;
        readonly object _lock = new object();
        int _read, _count;
        long _dropped;

        public AudioRing(int capacity)
        {
            if (capacity <= 0) throw new ArgumentOutOfRangeException("capacity", "must be positive");
            _buf = new float[capacity];
        }

        public int Capacity { get { return _buf.Length; } }
        public int Count { get { lock (_lock) return _count; } }
        public long Dropped { get { lock (_lock) return _dropped; } }

        public void Write(float[] data, int offset, int count)
        {
            lock (_lock)
            {
                if (count > _buf.Length)
                {
                    _dropped += count - _buf.Length;
                    offset += count - _buf.Length;
                    count = _buf.Length;
                }
                int overflow = _count + count - _buf.Length;
                if (overflow > 0)
                {
                    _read = (_read + overflow) % _buf.Length;
                    _count -= overflow;
                    _dropped += overflow;
                }
                int write = (_read + _count) % _buf.Length;
                int first = Math.Min(count, _buf.Length - write);
                Array.Copy(data, offset, _buf, write, first);
                Array.Copy(data, offset + first, _buf, 0, count - first);
                _count += count;
            }
        }

        /// <summary>Moves up to max samples into dst (from 0) and returns how many.</summary>
        public int Read(float[] dst, int max)
        {
            lock (_lock)
            {
                int n = Math.Min(Math.Min(max, _count), dst.Length);
                int first = Math.Min(n, _buf.Length - _read);
                Array.Copy(_buf, _read, dst, 0, first);
                Array.Copy(_buf, 0, dst, first, n - first);
                _read = (_read + n) % _buf.Length;
                _count -= n;
                return n;
            }
        }

        public void Clear() { lock (_lock) { _read = 0; _count = 0; } }
    }
}
