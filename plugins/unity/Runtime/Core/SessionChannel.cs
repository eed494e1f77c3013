using System;
using System.Text;
using System.Threading;

namespace Facecast
{
    /// <summary>What one session receives: the latest frame and the latest pose, with counters. Filled
    /// by the data thread, read by the main thread.</summary>
    public sealed class SessionChannel
    {
        public readonly string Session;
        public readonly FrameMailbox Frames = new FrameMailbox();
        public readonly LatestMailbox<PoseHeader> Poses = new LatestMailbox<PoseHeader>(() => new PoseHeader());
        internal readonly byte[] FrameTopic;
        internal readonly byte[] PoseTopic;
        internal readonly bool WantsFrames;
        internal ulong LastFrameSeq = ulong.MaxValue;

        /// <summary>Optional: called on the receive thread with every pose of this session, before it
        /// becomes the latest (for recording or analysis; the mailbox keeps only the newest). Copy
        /// what you keep: the header is reused.</summary>
        public Action<PoseHeader> OnPose;
        long _framesReceived, _posesReceived, _frameGaps;

        internal SessionChannel(string session, bool wantsFrames)
        {
            Session = session;
            WantsFrames = wantsFrames;
            FrameTopic = Encoding.UTF8.GetBytes("frame/" + session + "/");
            PoseTopic = Encoding.UTF8.GetBytes("pose/" + session + "/");
        }

        public long FramesReceived { get { return Interlocked.Read(ref _framesReceived); } }
        public long PosesReceived { get { return Interlocked.Read(ref _posesReceived); } }
        /// <summary>Frames the server sent that never arrived (seq gaps: dropped by a slow link).</summary>
        public long FrameGaps { get { return Interlocked.Read(ref _frameGaps); } }

        internal void CountFrame(ulong seq)
        {
            if (LastFrameSeq != ulong.MaxValue && seq > LastFrameSeq + 1)
                Interlocked.Add(ref _frameGaps, (long)(seq - LastFrameSeq - 1));
            LastFrameSeq = seq;
            Interlocked.Increment(ref _framesReceived);
        }

        internal void CountPose() { Interlocked.Increment(ref _posesReceived); }
    }
}
