using UnityEngine;

namespace Facecast
{
    public enum FacecastAudioMode
    {
        /// <summary>Read the playing AudioClip's samples just ahead of the play head (needs a clip
        /// imported with Load Type "Decompress On Load").</summary>
        Clip,
        /// <summary>Tap the AudioSource's output (OnAudioFilterRead): works with any clip, streaming,
        /// or procedural audio; this component must sit on the AudioSource's GameObject.</summary>
        FilterRead,
    }

    /// <summary>Streams an NPC's voice lines to its session so the face speaks them. The audio thread
    /// only copies into a ring buffer under a lock; the main thread sends the samples in chunks.</summary>
    [AddComponentMenu("Facecast/Facecast Audio Sender")]
    [RequireComponent(typeof(AudioSource))]
    public sealed class FacecastAudioSender : MonoBehaviour
    {
        public FacecastClient client;
        public FacecastAudioMode mode = FacecastAudioMode.Clip;
        [Tooltip("Clip mode: how far ahead of the play head to send, in seconds (covers network and look-ahead).")]
        [Range(0.05f, 1f)] public float lead = 0.2f;
        [Tooltip("Samples per push_audio message, in seconds.")]
        [Range(0.02f, 0.5f)] public float chunkSeconds = 0.1f;
        [Tooltip("FilterRead mode: silence the local output (the runtime still gets the voice).")]
        public bool muteLocally;

        AudioSource _source;
        ClipStreamer _streamer;
        float[] _chunk = new float[0];
        AudioRing _ring;
        volatile int _filterChannels;
        int _outputRate;
        long _samplesSent;
        bool _warnedLoadType;

        /// <summary>Samples (all channels) sent so far; dropped ones never left the ring (FilterRead).</summary>
        public long SamplesSent { get { return _samplesSent; } }
        public long SamplesDropped { get { return _ring != null ? _ring.Dropped : 0; } }

        void Reset() { client = GetComponentInParent<FacecastClient>(); }

        void OnEnable()
        {
            _source = GetComponent<AudioSource>();
            _outputRate = AudioSettings.outputSampleRate; // main thread only: cached for the audio thread
            if (_ring == null) _ring = new AudioRing(_outputRate * 8 * 2); // 2 s of up to 8 channels
            _ring.Clear();
            _streamer = new ClipStreamer(1, 0);
        }

        void Update()
        {
            if (client == null || !client.IsReady) return;
            if (mode == FacecastAudioMode.Clip) SendClip();
            else SendRing();
        }

        void SendClip()
        {
            var clip = _source.clip;
            if (clip == null || !_source.isPlaying) { _streamer.Update(null, 0, false); return; }
            if (clip.loadType != AudioClipLoadType.DecompressOnLoad)
            {
                if (!_warnedLoadType)
                    Debug.LogWarning("[facecast] " + clip.name + " is not imported with Load Type 'Decompress On Load', so its samples cannot be read; change it, or use the FilterRead mode", this);
                _warnedLoadType = true;
                return;
            }
            int channels = clip.channels;
            int rate = clip.frequency;
            _streamer.ChunkFrames = Mathf.Max(1, (int)(chunkSeconds * rate));
            _streamer.LeadFrames = (int)(lead * rate);
            _streamer.Update(clip, _source.timeSamples, true);
            if (_chunk.Length != _streamer.ChunkFrames * channels) _chunk = new float[_streamer.ChunkFrames * channels];
            int start, frames;
            while (_streamer.Next(clip.samples, out start, out frames))
            {
                clip.GetData(_chunk, start); // fills the whole chunk (wrapping at the end); only `frames` are sent
                client.PushAudio(_chunk, 0, frames * channels, rate, channels);
                _samplesSent += frames * channels;
            }
        }

        void SendRing()
        {
            int channels = _filterChannels;
            if (channels <= 0) return;
            int chunk = Mathf.Max(channels, (int)(chunkSeconds * _outputRate) * channels);
            if (_chunk.Length != chunk) _chunk = new float[chunk];
            while (_ring.Count >= chunk)
            {
                int n = _ring.Read(_chunk, chunk);
                n -= n % channels;
                client.PushAudio(_chunk, 0, n, _outputRate, channels);
                _samplesSent += n;
            }
        }

        // The audio thread: copy and nothing else.
        void OnAudioFilterRead(float[] data, int channels)
        {
            if (mode != FacecastAudioMode.FilterRead || _ring == null) return;
            _filterChannels = channels;
            _ring.Write(data, 0, data.Length);
            if (muteLocally) System.Array.Clear(data, 0, data.Length);
        }
    }
}
