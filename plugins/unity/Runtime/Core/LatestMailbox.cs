using System;
using System.Threading;

namespace Facecast
{
    /// <summary>Hands the newest value from one writer thread to one reader thread through three
    /// preallocated slots (back, ready, front): the writer fills Back and Publishes; the reader Takes
    /// and owns Front until its next Take. Neither waits on the other beyond a pointer swap, older
    /// unread values are overwritten (a slow reader skips frames), and nothing is allocated.</summary>
    public sealed class LatestMailbox<T> where T : class
    {
        readonly object _lock = new object();
        T _back, _ready, _front;
        bool _fresh;
        long _published, _taken;

        public LatestMailbox(Func<T> create)
        {
            _back = create();
            _ready = create();
            _front = create();
        }

        /// <summary>The writer's slot: fill it, then Publish.</summary>
        public T Back { get { return _back; } }

        public void Publish()
        {
            lock (_lock)
            {
                T t = _ready;
                _ready = _back;
                _back = t;
                _fresh = true;
                _published++;
            }
        }

        /// <summary>The newest published value if one arrived since the last Take, else false (and the
        /// previous Front stays valid).</summary>
        public bool TryTake(out T value)
        {
            lock (_lock)
            {
                if (!_fresh)
                {
                    value = _front;
                    return false;
                }
                T t = _front;
                _front = _ready;
                _ready = t;
                _fresh = false;
                _taken++;
                value = _front;
                return true;
            }
        }

        /// <summary>The reader's current value (last taken).</summary>
        public T Front { get { return _front; } }

        /// <summary>Values published, and values the reader never saw (overwritten before a Take).</summary>
        public long Published { get { lock (_lock) return _published; } }
        public long Skipped { get { lock (_lock) return _published - _taken - (_fresh ? 1 : 0); } }
    }

    /// <summary>One decoded frame: tightly packed pixels (width*4 bytes per row), in the row order the
    /// mailbox was asked for.</summary>
    public sealed class FrameSlot
    {
        public byte[] Pixels = new byte[0];
        public int Width, Height;
        public PixelFormat Format;
        public ulong Seq;
        public double Pts;
        public string Session;
        /// <summary>True when the first row in Pixels is the bottom row of the image (Unity's order).</summary>
        public bool BottomUp;

        public int ByteCount { get { return Width * Height * 4; } }
    }

    /// <summary>The latest-frame mailbox: the receive thread copies each frame in (dropping row padding
    /// and, if asked, flipping rows for bottom-up textures in the same pass), the main thread takes the
    /// newest. Buffers are reallocated only when the frame size grows.</summary>
    public sealed class FrameMailbox
    {
        readonly LatestMailbox<FrameSlot> _box = new LatestMailbox<FrameSlot>(() => new FrameSlot());

        /// <summary>Store rows bottom-up (Texture2D.LoadRawTextureData expects the bottom row first).</summary>
        public volatile bool BottomUp = true;

        public void Write(FrameHeader h, byte[] pixels, int offset, int length)
        {
            long expected = (long)h.Height * h.Stride;
            if (length != expected)
                throw new FacecastProtocolException("frame " + h.Seq + " of session " + h.Session + ": pixels are " + length +
                    " bytes, the header says " + h.Height + " rows of " + h.Stride + " bytes");
            FrameSlot s = _box.Back;
            int row = h.Width * 4;
            int n = row * h.Height;
            if (s.Pixels.Length < n) s.Pixels = new byte[n];
            bool flip = BottomUp;
            if (!flip && h.Stride == row) Buffer.BlockCopy(pixels, offset, s.Pixels, 0, n);
            else
            {
                for (int y = 0; y < h.Height; y++)
                {
                    int dst = (flip ? h.Height - 1 - y : y) * row;
                    Buffer.BlockCopy(pixels, offset + y * h.Stride, s.Pixels, dst, row);
                }
            }
            s.Width = h.Width;
            s.Height = h.Height;
            s.Format = h.Format;
            s.Seq = h.Seq;
            s.Pts = h.Pts;
            s.Session = h.Session;
            s.BottomUp = flip;
            _box.Publish();
        }

        public bool TryTake(out FrameSlot frame) { return _box.TryTake(out frame); }

        public FrameSlot Latest { get { return _box.Front; } }
        public long Published { get { return _box.Published; } }
        public long Skipped { get { return _box.Skipped; } }
    }
}
