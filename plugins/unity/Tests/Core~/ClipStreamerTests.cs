using System.Collections.Generic;

namespace Facecast.CoreTests
{
    public static class ClipStreamerTests
    {
        /// <summary>Plays `clipFrames` at `step` frames per update from `from`; returns the chunks sent.</summary>
        static List<int[]> Play(ClipStreamer s, object clip, int clipFrames, int from, int step, int maxAhead, ref int pos)
        {
            var sent = new List<int[]>();
            for (pos = from; pos < clipFrames; pos += step)
            {
                s.Update(clip, pos, true);
                int start, frames;
                while (s.Next(clipFrames, out start, out frames))
                {
                    sent.Add(new[] { start, frames });
                    if (start + frames > pos + maxAhead) throw new AssertionException("sent up to " + (start + frames) + " with the play head at " + pos);
                }
            }
            return sent;
        }

        [Test]
        public static void AVoiceLineGoesOutOnceInOrderJustAheadOfThePlayHead()
        {
            var s = new ClipStreamer(4800, 9600); // 100 ms chunks, 200 ms lead at 48 kHz
            var clip = new object();
            int pos = 0;
            var sent = Play(s, clip, 48000, 0, 800, 9600 + 4800, ref pos); // 60 fps updates
            int next = 0;
            foreach (var c in sent)
            {
                Assert.Equal(next, c[0], "contiguous");
                next += c[1];
            }
            Assert.Equal(48000, next, "the whole line, once");
            Assert.Equal(10, sent.Count, "in 100 ms chunks");
        }

        [Test]
        public static void RestartsLoopsAndNewLinesSendFromThePlayHead()
        {
            var s = new ClipStreamer(1000, 2000);
            var a = new object();
            var b = new object();
            s.Update(a, 0, true);
            int start, frames;
            while (s.Next(10000, out start, out frames)) { }
            Assert.Equal(2000, s.SentUpTo, "lead reached");
            s.Update(a, 1500, true); // the play head moves on: continue where the last chunk ended
            Assert.True(s.Next(10000, out start, out frames) && start == 2000, "contiguous: " + start);
            s.Update(a, 6000, true); // a seek (or a hitch) past what was sent: jump with the play head
            Assert.True(s.Next(10000, out start, out frames) && start == 6000, "jumps to the play head: " + start);
            s.Update(a, 300, true); // restarted (play head went back)
            Assert.True(s.Next(10000, out start, out frames) && start == 300, "restart sends from the play head: " + start);
            s.Update(b, 0, true); // another line
            Assert.True(s.Next(500, out start, out frames) && start == 0 && frames == 500, "new clip from 0, short clip clipped to its end");
            Assert.True(!s.Next(500, out start, out frames), "nothing past the end");
            s.Update(b, 0, false); // stopped
            Assert.True(!s.Next(500, out start, out frames), "nothing while stopped");
            s.Update(b, 0, true); // played again from the start
            Assert.True(s.Next(500, out start, out frames) && start == 0, "replay sends again");
        }
    }
}
