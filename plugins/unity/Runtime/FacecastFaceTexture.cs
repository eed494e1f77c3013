using Unity.Collections;
using UnityEngine;
using UnityEngine.UI;

namespace Facecast
{
    /// <summary>Shows a session's latest frame on a RawImage and/or a Renderer's material. Each
    /// Update takes the newest frame from the client's mailbox (older ones are skipped, never queued)
    /// and copies it into one Texture2D through GetRawTextureData: no allocation per frame; the
    /// texture is recreated only when the frame size or format changes.</summary>
    [AddComponentMenu("Facecast/Facecast Face Texture")]
    public sealed class FacecastFaceTexture : MonoBehaviour
    {
        public FacecastClient client;
        [Tooltip("A UI RawImage to show the face on (optional).")]
        public RawImage rawImage;
        [Tooltip("A renderer whose material shows the face (optional); set through a MaterialPropertyBlock, so the shared material is not copied.")]
        public Renderer targetRenderer;
        [Tooltip("Texture property on the renderer's material. Empty: _BaseMap (URP/HDRP Lit) if the shader has it, else _MainTex.")]
        public string textureProperty = "";
        [Tooltip("Bilinear filtering (off: point, pixel-exact).")]
        public bool smooth = true;

        Texture2D _texture;
        MaterialPropertyBlock _block;
        int _propertyId;
        long _framesShown;
        ulong _lastSeq;
        double _lastPts;

        /// <summary>The texture frames are written into (null before the first frame).</summary>
        public Texture2D Texture { get { return _texture; } }
        public long FramesShown { get { return _framesShown; } }
        public ulong LastSeq { get { return _lastSeq; } }
        /// <summary>pts of the frame on screen, on the session's audio clock.</summary>
        public double LastPts { get { return _lastPts; } }

        void Reset()
        {
            client = GetComponentInParent<FacecastClient>();
            rawImage = GetComponent<RawImage>();
            targetRenderer = GetComponent<Renderer>();
        }

        void Update()
        {
            if (client == null) return;
            var ch = client.Channel;
            FrameSlot frame;
            if (ch == null || !ch.Frames.TryTake(out frame)) return;
            Show(frame);
        }

        /// <summary>Uploads one frame (bottom-up rows, as the mailbox stores them by default) and points
        /// the targets at the texture. Public so frames from elsewhere (tests, recordings) can be shown.</summary>
        public void Show(FrameSlot frame)
        {
            var format = frame.Format == PixelFormat.Bgra ? TextureFormat.BGRA32 : TextureFormat.RGBA32;
            if (_texture == null || _texture.width != frame.Width || _texture.height != frame.Height || _texture.format != format)
            {
                if (_texture != null) Destroy(_texture);
                _texture = new Texture2D(frame.Width, frame.Height, format, false);
                _texture.name = "facecast " + (frame.Session ?? "frame");
                _texture.wrapMode = TextureWrapMode.Clamp;
                _texture.filterMode = smooth ? FilterMode.Bilinear : FilterMode.Point;
                Bind();
            }
            NativeArray<byte> dst = _texture.GetRawTextureData<byte>();
            NativeArray<byte>.Copy(frame.Pixels, 0, dst, 0, frame.ByteCount);
            _texture.Apply(false, false);
            if (rawImage != null)
            {
                // Rows arrive bottom-up unless the mailbox was told otherwise: flip the UVs for top-down.
                rawImage.uvRect = frame.BottomUp ? new Rect(0, 0, 1, 1) : new Rect(0, 1, 1, -1);
            }
            _framesShown++;
            _lastSeq = frame.Seq;
            _lastPts = frame.Pts;
        }

        void Bind()
        {
            if (rawImage != null) rawImage.texture = _texture;
            if (targetRenderer != null)
            {
                if (_block == null) _block = new MaterialPropertyBlock();
                string prop = textureProperty;
                if (string.IsNullOrEmpty(prop))
                {
                    var mat = targetRenderer.sharedMaterial;
                    prop = mat != null && mat.HasProperty("_BaseMap") ? "_BaseMap" : "_MainTex";
                }
                _propertyId = Shader.PropertyToID(prop);
                targetRenderer.GetPropertyBlock(_block);
                _block.SetTexture(_propertyId, _texture);
                targetRenderer.SetPropertyBlock(_block);
            }
        }

        void OnDestroy()
        {
            if (_texture != null) Destroy(_texture);
        }
    }
}
