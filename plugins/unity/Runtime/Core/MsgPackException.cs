using System;

namespace Facecast
{
    /// <summary>Malformed or unexpected wire data. Thrown instead of crashing or reading out of bounds,
    /// so a bad message costs one message, never the connection thread.</summary>
    public class FacecastProtocolException : Exception
    {
        public FacecastProtocolException(string message) : base(message) { }
        public FacecastProtocolException(string message, Exception inner) : base(message, inner) { }
    }
}
