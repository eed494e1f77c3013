namespace Facecast
{
    /// <summary>Decides which part of a playing clip to send next so the runtime gets each voice line
    /// once, in order, a little ahead of the local play head: from where playback starts, in chunks,
    /// up to play head + lead; from the play head when the line restarts, loops, changes or skips ahead. The
    /// engine-free half of FacecastAudioSender's Clip mode.</summary>
    public sealed class ClipStreamer
    {
        public int ChunkFrames;
        public int LeadFrames;
        object _clip;
        int _sent;
        int _lastPos;

        public ClipStreamer(int chunkFrames, int leadFrames)
        {
            ChunkFrames = chunkFrames < 1 ? 1 : chunkFrames;
            LeadFrames = leadFrames < 0 ? 0 : leadFrames;
        }

        /// <summary>Frames sent of the current clip so far (its position in the clip).</summary>
        public int SentUpTo { get { return _sent; } }

        /// <summary>Call once per update with the play state, before taking chunks with Next.</summary>
        public void Update(object clip, int playPos, bool playing)
        {
            if (!playing || clip == null)
            {
                _clip = null;
                return;
            }
            if (!ReferenceEquals(clip, _clip) || playPos < _lastPos)
            {
                // A new line, or the same one restarted or looped: send from the play head.
                _clip = clip;
                _sent = playPos;
            }
            // Behind the play head (a seek, or a long hitch): what was skipped locally is not sent,
            // or the face would trail the voice from then on.
            if (playPos > _sent) _sent = playPos;
            _lastPos = playPos;
        }

        /// <summary>The next chunk to send (start frame and frame count), or false when the runtime
        /// already has everything up to play head + lead (or the end of the clip).</summary>
        public bool Next(int clipFrames, out int start, out int frames)
        {
            start = _sent;
            frames = 0;
            if (_clip == null) return false;
            long until = System.Math.Min((long)clipFrames, (long)_lastPos + LeadFrames);
            if (_sent >= until) return false;
            frames = System.Math.Min(ChunkFrames, clipFrames - _sent);
            if (frames <= 0) return false;
            _sent += frames;
            return true;
        }
    }
}
